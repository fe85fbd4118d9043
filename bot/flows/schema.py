"""The JSON Schema of a file in FLOWS_DIR (a flow, a community, the counselling service or a mood check-in), from the models the loader uses."""
from __future__ import annotations

from pydantic import TypeAdapter

from bot.flows.communities import CommunityFile
from bot.flows.counselling import CounsellingFile
from bot.flows.model import Flow
from bot.flows.mood_settings import MoodFile


def json_schema() -> dict:
    schema = TypeAdapter(Flow | CommunityFile | CounsellingFile | MoodFile).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ungebot.dk/schema/flow.json"
    schema["title"] = "Ungebot flow, community, counselling service or mood check-in"
    return schema
