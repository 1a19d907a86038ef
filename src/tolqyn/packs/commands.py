"""CLI sub-commands for country packs: `tolqyn pack validate DIR`, `pack new DIR`, `pack list`."""

from __future__ import annotations

from pathlib import Path

import typer

pack_app = typer.Typer(help="Country packs (docs/packs.md): validate, new, list.")


@pack_app.command("validate")
def validate_cmd(
    pack: str = typer.Argument(..., help="folder with a datapackage.json, or a packaged name"),
    no_frictionless: bool = typer.Option(
        False, "--no-frictionless", help="only tolqyn's own checks"
    ),
):
    """Check a pack: Frictionless validation plus tolqyn's checks; one line per problem."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.packs.validate import validate

    try:
        probs = validate(pack, use_frictionless=not no_frictionless)
    except TolqynError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    for p in probs:
        typer.echo(str(p))
    if probs:
        typer.secho(f"{len(probs)} problem(s) in {pack}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(f"{pack}: valid")


@pack_app.command("new")
def new_cmd(
    directory: Path = typer.Argument(..., help="new folder to write the template into"),
):
    """Write a small, valid, commented pack (two units) to start from."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.packs.template import new_pack

    try:
        out = new_pack(directory)
    except TolqynError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    typer.echo(f"wrote a template pack to {out}; edit it, then: tolqyn pack validate {out}")


@pack_app.command("list")
def list_cmd():
    """The packs shipped with tolqyn."""
    from tolqyn.packs.reader import packaged

    for name in packaged():
        typer.echo(name)


def register(app: typer.Typer) -> None:
    app.add_typer(pack_app, name="pack")
