"""The `doctor` verb: confirm on the user's own account, read-only, what the emulators cannot.

`python -m automation doctor --stack NAME | --outputs-file FILE [--json] [--principal-arn ARN]`:
one line per check, ✓ or ✗ with what to fix (`automation.aws.run_doctor`); `--json` prints
the report as one JSON object. Any ✗ exits 1 through the one error handler.
"""

from __future__ import annotations

import argparse

from automation import aws
from automation.cli.console import EXIT_OK, Screen
from automation.cli.options import Subcommands, add_stack_options, open_stack


def add_parser(commands: Subcommands) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check a deployed stack on your account, read-only: resources, settings, IAM (AWS)",
        description="Confirm what the emulators cannot: the caller and region; every resource the stack's "
        "outputs name, against what the stack set (bucket encryption and versioning, the job's definition and "
        "script, log retention and key, the tables, the crawler, the workgroup, the topic's key); IAM's policy "
        "simulator for the job role and for the stack's operator policy as deployed, over what each verb touches; "
        "after a run, its metrics. One line per check; exit 1 on any failure.",
    )
    add_stack_options(doctor)
    doctor.add_argument(
        "--principal-arn",
        metavar="ARN",
        help="an IAM user or role to simulate too, over what each verb touches: what else limits it "
        "(boundaries, SCPs); a role with a path, such as an SSO role, needs its full ARN (default: none, "
        "the stack's operator policy alone is simulated)",
    )
    doctor.set_defaults(handler=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:
    """`doctor`: every check as it is made; a summary; exit 1 when one failed."""
    screen = Screen(args.json)
    stack = open_stack(args, *aws.DOCTOR_OUTPUTS)

    def show(check: aws.Check) -> None:
        if not args.json:
            screen.out.print(check.line(), markup=False)

    report = aws.run_doctor(stack, args.principal_arn, show)
    failed = report.failed
    screen.result(
        report.to_dict(),
        lambda: screen.out.print(f"{len(report.checks)} checks, {len(failed)} failed", markup=False),
    )
    if failed:
        names = ", ".join(check.name for check in failed[:3]) + (", ..." if len(failed) > 3 else "")
        raise aws.DoctorFailed(f"doctor: {len(failed)} of {len(report.checks)} checks failed ({names})")
    return EXIT_OK
