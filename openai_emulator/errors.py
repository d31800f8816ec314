"""OpenAI's error answers: the body ``{"error": {"message", "type", "param", "code"}}``."""
from __future__ import annotations

from aiohttp import web

NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (i.e. "
    "password: YOUR_KEY), or as the username field (i.e. username: YOUR_KEY). You can obtain an "
    "API key from https://platform.openai.com/account/api-keys."
)
BAD_KEY = ("Incorrect API key provided: {}. You can find your API key at "
           "https://platform.openai.com/account/api-keys.")
BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
    "help center at help.openai.com.)"
)

class OpenAIError(Exception):
    """An error answered with OpenAI's body ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"message": message, "type": type, "param": param, "code": code}
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.json_response({"error": self.error}, status=self.status, headers=self.headers)


def not_found(kind: str, id_: str, param: str = "id") -> OpenAIError:
    """OpenAI's 404 for an unknown object id, e.g. ``No such File object: file-abc``."""
    return OpenAIError(404, f"No such {kind} object: {id_}", param=param)
