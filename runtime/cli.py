"""The ``flowred`` command.

``flowred run [FLOWFILE] [-p PORT] [--host HOST] [-u USERDIR] [--openai-emulator]`` starts the
runtime with the editor (Node-RED's habits: a positional flow file, ``-p/--port``,
``-u/--userDir``). ``flowred emulator`` serves only the built-in OpenAI API emulator.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import signal
import sys
from pathlib import Path

from aiohttp import web

from . import __version__
from .api.guard import is_loopback_host
from .engine import Engine
from .log import configure, logger
from .settings import Settings
from .storage import FlowStorage

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flowred", description="FlowRed: run Node-RED flows in Python.")
    p.add_argument("--version", action="version", version=f"flowred {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a flow file with the editor and Admin API")
    run.add_argument("flow_file", nargs="?", help="the flow file (default: USERDIR/flows.json)")
    run.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    run.add_argument("-p", "--port", type=int, default=None, help="port (default 1880, or $PORT)")
    run.add_argument("-u", "--userDir", dest="user_dir", default=None, help="user directory (default ~/.flowred)")
    run.add_argument("--openai-emulator", action="store_true",
                     help="also start the built-in OpenAI API emulator on loopback and point "
                          "OPENAI_BASE_URL/OPENAI_API_KEY at it unless they are set")
    run.add_argument("-s", "--settings", default=None,
                     help="settings file (TOML; default USERDIR/settings.toml when it exists)")
    run.add_argument("--insecure", action="store_true",
                     help="allow listening on a non-loopback address without adminAuth")
    run.add_argument("--safe", action="store_true", help="load the flows without starting them")
    run.add_argument("--trace", action="store_true", help="record msg hops so the editor can show a msg's path")
    run.add_argument("--no-watch", action="store_true", help="do not reload the flows when the flow file changes")
    run.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                     help="event loop: asyncio's (default) or uvloop's (pip install 'flowred[uvloop]'), "
                          "faster for HTTP-heavy flows")
    run.add_argument("--cluster", metavar="URL", default=None,
                     help="join the cluster on this NATS JetStream server (nats://HOST:PORT)")
    run.add_argument("--cluster-name", default=None, help="the cluster's name (default flowred)")
    run.add_argument("--worker-id", default=None, help="this worker's id in the cluster (default: random)")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    clu = sub.add_parser("cluster", help="look at a cluster of FlowRed workers without starting a runtime")
    clu.add_argument("action", choices=("status",), help="status: the workers, the leader and the cluster name")
    clu.add_argument("--cluster", metavar="URL", required=True, help="the cluster's NATS server (nats://HOST:PORT)")
    clu.add_argument("--cluster-name", default="flowred", help="the cluster's name (default flowred)")
    emu = sub.add_parser("emulator", help="serve only the built-in OpenAI API emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8089)
    emu.add_argument("--api-key", default=None, help="the accepted API key (default: any key)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``flowred`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "emulator":
        from flowred.openai_emulator.__main__ import main as emulator_main

        argv = ["--host", args.host, "--port", str(args.port)]
        return emulator_main(argv + (["--api-key", args.api_key] if args.api_key else []))
    if args.command == "cluster":
        from .cluster.status_cli import print_status

        return asyncio.run(print_status(args.cluster, args.cluster_name))
    configure("debug" if args.verbose else "info")
    runner = asyncio.run
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            print("flowred: --loop uvloop needs uvloop: pip install 'flowred[uvloop]'", file=sys.stderr)
            return 2
        runner = uvloop.run
    try:
        runner(_run(args))
    except KeyboardInterrupt:
        pass
    return 0


async def _run(args: argparse.Namespace) -> None:
    # no cyclic garbage collection while the node modules load and the flows start: its full
    # passes over the growing heap were ~10% of the start's CPU; it runs again once they started
    gc.disable()
    try:
        await _serve(args)
    finally:
        gc.enable()


async def _serve(args: argparse.Namespace) -> None:
    user_dir = Path(args.user_dir).expanduser() if args.user_dir else Path.home() / ".flowred"
    settings_file = Path(args.settings) if args.settings else user_dir / "settings.toml"
    try:
        from_file = Settings.read_file(settings_file) if args.settings or settings_file.exists() else {}
        if from_file:
            logger.info(f"Settings file  : {settings_file.resolve()}")
        flow_file = Path(args.flow_file) if args.flow_file else Path(from_file.pop("flowFile", user_dir / "flows.json"))
        cli = {"uiHost": args.host, "uiPort": args.port or (int(os.environ["PORT"]) if "PORT" in os.environ else None)}
        settings = Settings(**{**from_file, **{k: v for k, v in cli.items() if v is not None},
                               "flowFile": flow_file, "userDir": user_dir,
                               "trace": args.trace or from_file.get("trace", False),
                               "safeMode": args.safe or from_file.get("safeMode", False),
                               "watchFlowFile": not args.no_watch,
                               "cluster": _cluster_settings(args, from_file.get("cluster"))})
    except (OSError, ValueError) as exc:
        logger.error(f"Cannot read the settings: {exc}")
        raise SystemExit(1) from None
    if not settings.admin_auth_guards_writes() and not args.insecure and not is_loopback_host(settings.uiHost):
        logger.error(f"Refusing to listen on {settings.uiHost} without adminAuth: anyone who reaches it could run "
                     "code through function nodes. Set adminAuth in the settings file (with users, and default "
                     "permissions other than \"*\"), or pass --insecure.")
        raise SystemExit(1)
    emulator = None
    if args.openai_emulator:
        from flowred.openai_emulator import start_emulator

        key = os.environ.get("OPENAI_API_KEY") or "sk-emulator-" + secrets.token_hex(12)
        emulator = await start_emulator(host="127.0.0.1", port=0, api_keys={key})
        os.environ.setdefault("OPENAI_API_KEY", key)
        os.environ.setdefault("OPENAI_BASE_URL", emulator.base_url)
        settings.openaiEmulator = {"url": emulator.base_url}
        logger.info(f"OpenAI emulator (not the real OpenAI) : {emulator.base_url}")
    logger.info(f"FlowRed version: v{__version__}")
    logger.info(f"Python version: {sys.version.split()[0]}")
    logger.info(f"Event loop     : {args.loop}")
    logger.info(f"User directory : {user_dir}")
    logger.info(f"Flows file     : {flow_file.resolve()}")
    engine = Engine(settings, FlowStorage(flow_file, user_dir, settings.credentialSecret))
    worker = None
    if settings.cluster:
        engine.cluster = await _join_cluster(settings.cluster, emulator)
        worker = await _start_worker(engine, emulator)
    from .api import create_app

    runner = web.AppRunner(create_app(engine), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.uiHost, settings.uiPort)
    try:
        await site.start()
    except OSError as exc:
        logger.error(f"Cannot listen on {settings.uiHost}:{settings.uiPort}: {exc.strerror}")
        await runner.cleanup()
        if emulator:
            await emulator.stop()
        raise SystemExit(1) from None
    port = site._server.sockets[0].getsockname()[1] if site._server else settings.uiPort
    logger.info(f"Server now running at http://{settings.uiHost}:{port}/")
    try:
        await engine.load()
    except Exception as exc:  # a context store that cannot open (e.g. the nats store's server is away)
        from .cluster.connection import ClusterError

        if not isinstance(exc, ClusterError):
            raise
        logger.error(f"Cannot open the context store: {exc}")
        await runner.cleanup()
        if emulator:
            await emulator.stop()
        raise SystemExit(1) from None
    gc.enable()
    if worker is not None:
        worker.started(f"http://{settings.uiHost}:{port}{settings.httpAdminRoot.rstrip('/')}/")
    print(f"\nFlowRed is running: open http://{settings.uiHost}:{port}/ in your browser (Ctrl-C stops it)\n",
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if worker is not None:
        await worker.close()
    logger.info("Stopping flows")
    await engine.stop()
    await runner.cleanup()
    if engine.cluster is not None:
        await engine.cluster.close()
    if emulator:
        await emulator.stop()



def _cluster_settings(args: argparse.Namespace, from_file: dict | None) -> dict | None:
    """The ``cluster`` setting: the settings file's ``[cluster]`` table (``url``, ``name``,
    ``workerId``) with ``--cluster``, ``--cluster-name`` and ``--worker-id`` over it; None
    when no URL is given (the runtime runs alone)."""
    merged = dict(from_file or {})
    for key, value in (("url", args.cluster), ("name", args.cluster_name), ("workerId", args.worker_id)):
        if value:
            merged[key] = value
    return merged if merged.get("url") else None


async def _join_cluster(cluster: dict, emulator) -> object:
    """Connect to the cluster's NATS server (flowred.cluster.connection); exit with a clear
    error naming the URL when it cannot be reached after a few tries."""
    from .cluster.connection import ClusterError, ClusterOptions, connect

    try:
        options = ClusterOptions(str(cluster["url"]), **{k: str(v) for k, v in (
            ("name", cluster.get("name")), ("worker_id", cluster.get("workerId"))) if v})
        joined = await connect(options)
    except (ClusterError, ValueError) as exc:
        logger.error(f"Cannot join the cluster: {exc}")
        if emulator:
            await emulator.stop()
        raise SystemExit(1) from None
    logger.info(f"Cluster        : {options.name} on {options.url}, worker {options.worker_id}")
    return joined


async def _start_worker(engine: Engine, emulator) -> object:
    """This worker's cluster parts (flowred.cluster.worker), started before the flows load;
    exit with a clear error when JetStream refuses them."""
    from .cluster.worker import join

    try:
        return await join(engine.cluster, engine)
    except Exception as exc:
        logger.error(f"Cannot join the cluster: {type(exc).__name__}: {exc}")
        await engine.cluster.close()
        if emulator:
            await emulator.stop()
        raise SystemExit(1) from None
