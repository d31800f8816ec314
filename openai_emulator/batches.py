"""Batches, kept in memory: each request line of the input file is answered by the emulator
itself, and the batch is ``completed`` from its first retrieval on.

- ``POST /v1/batches`` (``input_file_id`` an uploaded JSONL file, ``endpoint`` one of
  ENDPOINTS, ``completion_window`` "24h", ``metadata``) → the batch, ``status: "validating"``.
  Every line ``{custom_id, method, url, body}`` is sent to this emulator over loopback with the
  request's own key; answers go to an output file (``purpose: "batch_output"``) as ``{id,
  custom_id, response: {status_code, request_id, body}, error: null}`` lines, and lines that are
  not JSON or name another endpoint go to an error file.
- ``GET /v1/batches`` (cursor paging), ``GET /v1/batches/{id}`` (``completed``, with
  ``output_file_id``, ``error_file_id``, ``request_counts``), ``POST /v1/batches/{id}/cancel``
  (a finished batch stays ``completed``).
"""
from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import web

from . import files
from .errors import OpenAIError, not_found
from .store import Objects, json_body, new_id, now, page, required
from .validation import authenticate

BATCHES = web.AppKey("batches", Objects)
ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations")
WINDOW_SECONDS = 86400


def add_routes(app: web.Application) -> None:
    app[BATCHES] = Objects("batch")
    app.router.add_post("/v1/batches", create)
    app.router.add_get("/v1/batches", list_batches)
    app.router.add_get("/v1/batches/{batch}", retrieve)
    app.router.add_post("/v1/batches/{batch}/cancel", cancel)


async def create(request: web.Request) -> web.Response:
    """``POST /v1/batches``: runs every request line and keeps the answers."""
    authenticate(request)
    body = await json_body(request)
    input_id, endpoint = str(required(body, "input_file_id")), str(required(body, "endpoint"))
    if endpoint not in ENDPOINTS:
        raise OpenAIError(400, f"Invalid value: '{endpoint}'. Supported values are: "
                          f"{', '.join(repr(e) for e in ENDPOINTS)}.", param="endpoint", code="invalid_value")
    if body.get("completion_window", "24h") != "24h":
        raise OpenAIError(400, f"Invalid value: '{body['completion_window']}'. Supported values are: '24h'.",
                          param="completion_window", code="invalid_value")
    found = request.app[files.STORE].get(input_id)
    if found is None:
        raise not_found("File", input_id, "input_file_id")
    created = now()
    outputs, errors = await _run_lines(request, endpoint, found[1].decode(errors="replace").splitlines())
    batch = {"id": new_id("batch"), "object": "batch", "endpoint": endpoint, "model": None, "errors": None,
             "input_file_id": input_id, "completion_window": "24h", "status": "validating", "output_file_id": None,
             "error_file_id": None, "created_at": created, "in_progress_at": None,
             "expires_at": created + WINDOW_SECONDS, "finalizing_at": None, "completed_at": None, "failed_at": None,
             "expired_at": None, "cancelling_at": None, "cancelled_at": None,
             "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata"),
             "_outputs": outputs, "_errors": errors}
    request.app[BATCHES].add(batch)
    return web.json_response(_public(batch))


async def _run_lines(request: web.Request, endpoint: str, lines: list[str]) -> tuple[list[dict], list[dict]]:
    outputs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    origin = f"{request.scheme}://{request.host}"
    headers = {"Authorization": request.headers.get("Authorization", "")}
    async with aiohttp.ClientSession() as session:
        for line in filter(str.strip, lines):
            try:
                item = json.loads(line)
                custom_id, url, payload = item.get("custom_id"), item.get("url"), item.get("body")
            except (ValueError, AttributeError):
                errors.append(_error_line(None, "invalid_json_line", "This line is not valid JSON."))
                continue
            if url != endpoint:
                errors.append(_error_line(custom_id, "mismatched_endpoint",
                                          f"The url of this request ({url}) does not match the batch's {endpoint}."))
                continue
            async with session.post(origin + url, json=payload, headers=headers) as answer:
                outputs.append({"id": new_id("batch_req"), "custom_id": custom_id,
                                "response": {"status_code": answer.status,
                                             "request_id": answer.headers.get("x-request-id", ""),
                                             "body": await answer.json(content_type=None)},
                                "error": None})
    return outputs, errors


def _error_line(custom_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": new_id("batch_req"), "custom_id": custom_id, "response": None,
            "error": {"code": code, "message": message}}


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _finish(app: web.Application, batch: dict[str, Any]) -> dict[str, Any]:
    """Moves a batch on to ``completed``, writing its output and error files (once)."""
    if batch["status"] == "validating":
        done = now()
        outputs, errors = batch["_outputs"], batch["_errors"]
        if outputs:
            batch["output_file_id"] = files.store_file(app, f"{batch['id']}_output.jsonl", "batch_output",
                                                       _jsonl(outputs))["id"]
        if errors:
            batch["error_file_id"] = files.store_file(app, f"{batch['id']}_error.jsonl", "batch_output",
                                                      _jsonl(errors))["id"]
        failed = len(errors) + sum(1 for o in outputs if o["response"]["status_code"] >= 400)
        batch.update(status="completed", in_progress_at=done, finalizing_at=done, completed_at=done,
                     request_counts={"total": len(outputs) + len(errors), "completed": len(outputs) + len(errors)
                                     - failed, "failed": failed})
    return batch


async def list_batches(request: web.Request) -> web.Response:
    """``GET /v1/batches``: a cursor page."""
    authenticate(request)
    return page(request, [_public(_finish(request.app, b)) for b in request.app[BATCHES].values()])


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/batches/{id}``: the batch, completed."""
    authenticate(request)
    batch = request.app[BATCHES].get(request.match_info["batch"], "batch_id")
    return web.json_response(_public(_finish(request.app, batch)))


async def cancel(request: web.Request) -> web.Response:
    """``POST /v1/batches/{id}/cancel``: the batch, which has already completed."""
    authenticate(request)
    batch = request.app[BATCHES].get(request.match_info["batch"], "batch_id")
    return web.json_response(_public(_finish(request.app, batch)))


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}
