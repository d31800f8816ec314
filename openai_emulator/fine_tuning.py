"""Fine-tuning jobs, kept in memory; a job has ``succeeded`` as soon as it is created.

- ``POST /v1/fine_tuning/jobs`` (``model``, ``training_file`` an uploaded file's id,
  ``validation_file``, ``suffix``, ``seed``, ``metadata``, ``method``) → the job, with
  ``fine_tuned_model: "ft:<model>:emulator:<suffix>:<id>"``.
- ``GET /v1/fine_tuning/jobs`` (cursor paging, newest first), ``GET
  /v1/fine_tuning/jobs/{id}``, ``POST .../cancel`` (a finished job stays as it is: OpenAI's
  400), ``GET .../events`` (created and succeeded), ``GET .../checkpoints`` (none).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import files
from .errors import OpenAIError, not_found
from .store import Objects, json_body, new_id, now, page, required
from .validation import authenticate

JOBS = web.AppKey("fine_tuning_jobs", Objects)


def add_routes(app: web.Application) -> None:
    app[JOBS] = Objects("fine-tuning job")
    app.router.add_post("/v1/fine_tuning/jobs", create)
    app.router.add_get("/v1/fine_tuning/jobs", list_jobs)
    app.router.add_get("/v1/fine_tuning/jobs/{job}", retrieve)
    app.router.add_post("/v1/fine_tuning/jobs/{job}/cancel", cancel)
    app.router.add_get("/v1/fine_tuning/jobs/{job}/events", events)
    app.router.add_get("/v1/fine_tuning/jobs/{job}/checkpoints", checkpoints)


async def create(request: web.Request) -> web.Response:
    """``POST /v1/fine_tuning/jobs``: a job that has already succeeded."""
    authenticate(request)
    body = await json_body(request)
    model, training = str(required(body, "model")), str(required(body, "training_file"))
    for param in ("training_file", "validation_file"):
        if body.get(param) and body[param] not in request.app[files.STORE]:
            raise not_found("File", body[param], param)
    created, job_id = now(), new_id("ftjob")
    suffix = f":{body['suffix']}" if body.get("suffix") else ""
    job: dict[str, Any] = {
        "id": job_id, "object": "fine_tuning.job", "created_at": created, "finished_at": created, "error": None,
        "fine_tuned_model": f"ft:{model}:emulator{suffix}:{job_id[-8:]}", "model": model,
        "organization_id": "org-emulator", "result_files": [], "seed": body.get("seed") or 0,
        "status": "succeeded", "trained_tokens": 0, "training_file": training,
        "validation_file": body.get("validation_file"), "estimated_finish": None, "integrations": [],
        "metadata": body.get("metadata"), "user_provided_suffix": body.get("suffix"),
        "hyperparameters": {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"},
        "method": body.get("method") or {"type": "supervised", "supervised": {"hyperparameters": {
            "batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"}}},
    }
    return web.json_response(request.app[JOBS].add(job))


async def list_jobs(request: web.Request) -> web.Response:
    """``GET /v1/fine_tuning/jobs``: a cursor page (``after``, ``limit``)."""
    authenticate(request)
    return page(request, request.app[JOBS].values())


def _job(request: web.Request) -> dict[str, Any]:
    return request.app[JOBS].get(request.match_info["job"], "fine_tuning_job_id")


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/fine_tuning/jobs/{id}``."""
    authenticate(request)
    return web.json_response(_job(request))


async def cancel(request: web.Request) -> web.Response:
    """``POST /v1/fine_tuning/jobs/{id}/cancel``: OpenAI's 400 for a finished job."""
    authenticate(request)
    job = _job(request)
    raise OpenAIError(400, f"Job {job['id']} has already completed and cannot be cancelled.")


async def events(request: web.Request) -> web.Response:
    """``GET /v1/fine_tuning/jobs/{id}/events``: created, then succeeded (newest first)."""
    authenticate(request)
    job = _job(request)
    made = [{"id": f"ftevent-{job['id'][-12:]}{n}", "object": "fine_tuning.job.event", "created_at": job["created_at"],
             "level": "info", "message": text, "data": {}, "type": "message"}
            for n, text in enumerate((f"Created fine-tuning job: {job['id']}", "The job has successfully completed"))]
    return page(request, made)


async def checkpoints(request: web.Request) -> web.Response:
    """``GET /v1/fine_tuning/jobs/{id}/checkpoints``: an empty page (no training happens)."""
    authenticate(request)
    _job(request)
    return page(request, [])
