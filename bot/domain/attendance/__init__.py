"""Who said they would come and who came: replies to the day-of message, arrival check-ins, and a
friendly word when someone quietly stays away."""
