"""What staff write in YAML, and nothing else: the model of each file kind (flows, communities,
counselling, mood check-ins, bookable times), loading and checking them with ``file:line`` errors
(``loader``), and hot reload that keeps the last good version (``registry``). Pure but for
reading the files."""
