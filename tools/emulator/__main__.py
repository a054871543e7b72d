"""`python -m tools.emulator` (`make emulator`): the dev stack in an AWS API emulator on this
machine, for trying the AWS verbs without an account.

Starts moto's server on 127.0.0.1 (`--port`, default 5000), creates the dev stack's
resources in it from `python -m automation synth --stack dev --json`, writes the outputs file
the verbs read (`--outputs-file`, default .emulator/outputs.json) and the environment to
use (.emulator/env.sh), then plays each Glue job run until Ctrl-C. Everything lives in
memory: stopping the emulator forgets it.
"""

from __future__ import annotations

import argparse
import errno
import shlex
import signal
import sys
import time
from pathlib import Path

from tools.emulator.player import PLAYED, GluePlayer
from tools.emulator.seed import render_stack, seed_stack
from tools.emulator.server import FAKE_CREDENTIALS, start_server

DEFAULT_PORT = 5000


def environment(url: str) -> dict[str, str]:
    """What a shell needs to reach the emulator as the CLI reaches AWS."""
    return {"AWS_ENDPOINT_URL": url, **FAKE_CREDENTIALS}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.emulator",
        description="Start an AWS API emulator (moto) with the dev stack in it, write its outputs file, "
        "say which environment variables to set, and play the Glue job's runs until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"loopback port (default: {DEFAULT_PORT})")
    parser.add_argument("--stack", default="dev", help="the stack to render and seed (default: dev)")
    parser.add_argument(
        "--outputs-file",
        type=Path,
        default=Path(".emulator/outputs.json"),
        help="where to write the stack's outputs (default: .emulator/outputs.json)",
    )
    args = parser.parse_args(argv)
    # Ctrl-C, or a TERM from whoever started it, stops it cleanly (also when the starting shell
    # ignored SIGINT, as shells do for background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server, emulator = start_server(args.port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"error: port {args.port} is in use: pass --port N (make emulator PORT=N)", file=sys.stderr)
            return 1
        raise
    try:
        print(f"moto's server on {emulator.url}; rendering stack {args.stack} (synth --stack {args.stack} --json)")
        emulator.reset()
        stack = seed_stack(emulator, render_stack(args.stack), args.outputs_file)
        env_file = args.outputs_file.with_name("env.sh")
        env = environment(emulator.url)
        env_file.write_text(
            "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()) + "unset AWS_PROFILE AWS_REGION\n"
        )
        print(f"{len(stack.seeded)} resources of stack {args.stack} created; outputs in {args.outputs_file}")
        print(f"\nIn another terminal, from the project folder, set the environment (or: source {env_file}):\n")
        print("  export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()))
        print("  unset AWS_PROFILE AWS_REGION")
        print(f"  .venv/bin/python -m automation load-silver --outputs-file {args.outputs_file}\n")
        print(f"Glue job runs are {PLAYED}. Ctrl-C stops the emulator.", flush=True)

        def played(report) -> None:
            print(
                f"played job run {report.run_id}: {report.rows_read:,} rows read, {report.rows_rejected:,} "
                f"rejected, {report.partitions_written} gold partitions written",
                flush=True,
            )

        with GluePlayer(stack, on_played=played) as player:
            while player.failure is None:
                time.sleep(0.5)
            failure = player.failure
            player.failure = None
            print(f"error: playing a job run failed: {type(failure).__name__}: {failure}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("emulator stopped")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the shutdown
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
