"""The stack verbs: `synth` (offline, under Pulumi's mocks) and `deploy`, `destroy`,
`outputs` (the Pulumi Automation API; need the Pulumi CLI)."""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager
from typing import Any, Iterator

from automation.cli.console import EXIT_OK, CtrlC, ProgressDisplay, ask, consoles, print_outputs, print_preview
from automation.cli.options import Subcommands
from automation.stack import (
    ChangeSummary,
    DeployError,
    check_config,
    deploy,
    destroy,
    lake_notice,
    parse_config_pairs,
    preview,
    require_pulumi_cli,
    stack_outputs,
    synth,
)
from automation.wording import plural
from etl.errors import describe_failure
from infra import outputs as out

# Why a deploy preview of a new stack counts one resource more than synth: the engine also
# creates the stack itself; the default AWS provider it creates too is an internal step, left
# out of its counts (pulumi/pulumi pkg/engine/update.go, `isInternalStep`: default provider
# steps are not added to the summary's ResourceChanges).
PULUMI_OWN_RESOURCES = (
    "a deploy preview of a new stack counts 1 more to create, the stack itself (pulumi:pulumi:Stack); "
    "Pulumi also creates the default AWS provider (pulumi:providers:aws) and leaves it out of its counts"
)


def add_parsers(commands: Subcommands) -> None:
    synth_parser = commands.add_parser(
        "synth",
        help="render every resource a stack would create, offline (Pulumi mocks, no AWS)",
        description="Run the Pulumi program under Pulumi's mock runtime with Pulumi.<stack>.yaml "
        "and print each resource's type, name and every input in full (file assets as their path and "
        "SHA-256), sorted by type and name, then the stack outputs.",
    )
    synth_parser.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    synth_parser.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"resources": [{type, name, inputs}], "outputs": {...}}',
    )
    synth_parser.set_defaults(handler=synth_command)

    deploy_parser = commands.add_parser(
        "deploy",
        help="preview and deploy a stack with the Pulumi Automation API (needs the Pulumi CLI)",
        description="Create or select the stack, set --config values as `pulumi config set` does (saved in "
        "Pulumi.<stack>.yaml), preview, ask, update with progress, and print the stack outputs.",
    )
    deploy_parser.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    deploy_parser.add_argument("--preview", action="store_true", help="only preview: print the changes, deploy nothing")
    deploy_parser.add_argument("--yes", action="store_true", help="deploy without asking (required without a terminal)")
    deploy_parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a config value first, e.g. workers=4 or aws:region=eu-west-1 (repeatable; default: none)",
    )
    deploy_parser.add_argument(
        "--json", action="store_true", help="print the result as one JSON object on the last line"
    )
    deploy_parser.set_defaults(handler=deploy_command)

    destroy_parser = commands.add_parser(
        "destroy",
        help="destroy a stack's resources (says first what happens to the lake bucket and its data)",
        description="Read the stack's outputs, say what destroy does to the lake bucket (the lakeOnDestroy "
        "output), ask for the stack name, then delete the stack's resources with progress.",
    )
    destroy_parser.add_argument("--stack", required=True, help="stack name, e.g. dev")
    destroy_parser.add_argument(
        "--yes", action="store_true", help="destroy without asking (required without a terminal)"
    )
    destroy_parser.add_argument(
        "--json", action="store_true", help="print the result as one JSON object on the last line"
    )
    destroy_parser.set_defaults(handler=destroy_command)

    outputs_parser = commands.add_parser(
        "outputs",
        help="print a stack's outputs; --json writes an outputs file for --outputs-file",
        description="The stack's outputs through the Automation API. --json prints what `pulumi stack output "
        "--json --show-secrets` prints: save it as an outputs file for machines without the Pulumi CLI.",
    )
    outputs_parser.add_argument("--stack", required=True, help="stack name, e.g. dev")
    outputs_parser.add_argument(
        "--json", action="store_true", help="print the outputs as JSON, as `pulumi stack output --json`"
    )
    outputs_parser.set_defaults(handler=outputs_command)


def synth_command(args: argparse.Namespace) -> int:
    """`synth --stack NAME [--json]`: every resource of the stack, then its outputs."""
    settings, rendering = synth(args.stack)
    if args.json:
        print(json.dumps(rendering.to_dict(), sort_keys=True, default=str))
        return EXIT_OK
    resources = rendering.resources
    for resource in resources:
        print(f"{resource['type']}  {resource['name']}")
        for key, value in sorted(resource["inputs"].items()):
            print(f"    {key}: {json.dumps(value, sort_keys=True, default=str)}")
    print("outputs:")
    for key, value in rendering.outputs.items():
        print(f"    {key}: {value}")
    print(
        f"{plural(len(resources), 'resource')} for stack {args.stack} "
        f"({settings.worker_type} x {settings.workers}, {settings.region}); {PULUMI_OWN_RESOURCES}"
    )
    return EXIT_OK


def _interrupted(stack: str) -> str:
    return (
        f"interrupted: Pulumi stops after the steps in flight; run the same command again to finish stack "
        f"{stack!r} (`pulumi refresh --stack {stack}` if Pulumi reports pending operations)"
    )


@contextmanager
def _engine_failures(stack: str, action: str, ctrl_c: CtrlC, display: ProgressDisplay) -> Iterator[None]:
    """A failed deploy or destroy as one DeployError line: ours as they are, the SDK's own
    failures (no summary event, gRPC) summarized, Ctrl-C as what Pulumi does next."""
    try:
        yield
    except KeyboardInterrupt:
        display.close()
        raise DeployError(_interrupted(stack)) from None
    except DeployError as error:
        raise DeployError(_interrupted(stack) if ctrl_c.interrupted else str(error)) from None
    except Exception as error:
        raise DeployError(f"{action} of stack {stack!r} failed: {describe_failure(error)}") from error


def deploy_command(args: argparse.Namespace) -> int:
    """`deploy --stack NAME [--preview] [--yes] [--config KEY=VALUE ...] [--json]`."""
    console, err = consoles()
    display = ProgressDisplay(err)
    ctrl_c = CtrlC(err)

    def confirm(summary: ChangeSummary) -> bool:
        print_preview(console, summary)
        answer = ask(err, ctrl_c, args, "deploy", f"Deploy these changes to stack {args.stack!r}? [y/N] ")
        return answer is None or answer.strip().lower() in ("y", "yes")

    with _engine_failures(args.stack, "deploy", ctrl_c, display):
        config = parse_config_pairs(args.config or [])
        check_config(args.stack, config)
        require_pulumi_cli()
        with ctrl_c:
            if args.preview:
                summary = preview(args.stack, config)
            else:
                err.print(f"Previewing stack {args.stack!r} ...", highlight=False)
                try:
                    result = deploy(args.stack, config, display, confirm)
                finally:
                    display.close()
    if args.preview:
        print_preview(console, summary)
        if args.json:
            print(json.dumps(summary.to_dict(), sort_keys=True))
        return EXIT_OK
    if not result.applied:
        kept = " (the --config values stay set in the stack's config)" if args.config else ""
        raise DeployError(f"deploy declined: stack {args.stack!r} not updated{kept}")
    done = result.result or result.preview
    console.print(f"Deployed stack {args.stack!r}: {done.line(done=True)}", highlight=False)
    print_outputs(console, args.stack, result.outputs)
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True, default=str))
    return EXIT_OK


def destroy_command(args: argparse.Namespace) -> int:
    """`destroy --stack NAME [--yes] [--json]`: says what happens to the lake, then asks."""
    console, err = consoles()
    display = ProgressDisplay(err)
    ctrl_c = CtrlC(err)
    seen: dict[str, Any] = {}

    def confirm(outputs: dict[str, Any]) -> bool:
        seen.update(outputs)
        console.print(f"Destroying stack {args.stack!r} deletes every resource it manages.", highlight=False)
        console.print(lake_notice(args.stack, outputs), highlight=False, soft_wrap=True)
        answer = ask(err, ctrl_c, args, "destroy", f"Type the stack name ({args.stack}) to destroy it: ")
        return answer is None or answer.strip() == args.stack

    with _engine_failures(args.stack, "destroy", ctrl_c, display):
        with ctrl_c:
            try:
                result = destroy(args.stack, display, confirm)
            finally:
                display.close()
    if result is None:
        raise DeployError(f"destroy declined: stack {args.stack!r} unchanged")
    console.print(f"Destroyed stack {args.stack!r}: {result.count('delete')} resources deleted.", highlight=False)
    if args.json:
        report = {
            "stack": args.stack,
            "destroyed": True,
            "changes": dict(sorted(result.counts.items())),
            out.BUCKET: seen.get(out.BUCKET),
            out.LAKE_ON_DESTROY: seen.get(out.LAKE_ON_DESTROY),
        }
        print(json.dumps(report, sort_keys=True))
    return EXIT_OK


def outputs_command(args: argparse.Namespace) -> int:
    """`outputs --stack NAME [--json]`: `--json` prints what `pulumi stack output --json --show-secrets` does."""
    console, _ = consoles()
    outputs = stack_outputs(args.stack)
    if args.json:
        # The Pulumi CLI's encoder: two-space indent, sorted keys, no HTML escaping.
        print(json.dumps(outputs, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print_outputs(console, args.stack, outputs)
    return EXIT_OK
