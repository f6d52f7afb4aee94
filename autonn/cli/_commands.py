"""What each subcommand does: build the configs from the parsed flags, call the public API,
print. The only place besides the dashboard that talks to the person."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from autonn.cli._tables import costs_shown, counts_text, print_front, summary, table


def search(args: argparse.Namespace) -> int:
    import autonn

    # The parser's destinations are the configs' field names (see _parser.py).
    config = autonn.SearchConfig(**_fields(args, autonn.SearchConfig))
    run = autonn.RunConfig(**_fields(args, autonn.RunConfig))
    with _progress(args.trials):
        result = autonn.search(config, run, resume=args.resume, force=args.force)
    print(f"\nsearch {result.name}: {summary(result)}")
    print_front(result)
    print(f"\nnext: autonn show {result.name} --storage {args.storage}")
    return 0


def _fields(args: argparse.Namespace, config_class) -> dict:
    """The flags a config takes, by field name; a field without a flag keeps its default."""
    from dataclasses import fields

    given = vars(args)
    return {f.name: given[f.name] for f in fields(config_class) if f.name in given}


def _progress(total: int) -> contextlib.AbstractContextManager:
    """On a terminal, a live display of the search; elsewhere the plain log lines, one per trial."""
    from autonn.cli._display import live_search_progress, on_terminal

    if not on_terminal():
        return contextlib.nullcontext()
    return live_search_progress(total, counts=counts_text)


def studies(args: argparse.Namespace) -> int:
    import autonn

    searches = autonn.list_searches(args.storage)
    if not searches:
        print("no searches yet")
        return 0
    width = max(len(s.name) for s in searches)
    for s in searches:
        data = s.config.get("data", "?")
        space = s.config.get("space", "?")
        print(
            f"{s.name:<{width}}  {s.n_trials:>4} trials  {counts_text(s.counts)}  {data} / {space}"
        )
    return 0


def show(args: argparse.Namespace) -> int:
    import autonn

    result = autonn.load_search(args.name, args.storage)
    trials = result.trials if args.all else result.pareto
    if args.json:
        print(json.dumps([t.to_json() for t in trials], indent=2, default=str))
        return 0
    print(f"search {result.name}: {summary(result)}")
    if args.all:
        print(f"trials ({len(trials)}):")
        print(table(trials, result.metric, costs_shown(result), breaks=True))
    else:
        print_front(result)
    return 0


def export(args: argparse.Namespace) -> int:
    import autonn

    r = autonn.export(
        args.name,
        args.out,
        storage=args.storage,
        pick=args.pick,
        trial=args.trial,
        data=args.data,
        target=args.target,
    )
    print(f"exported trial {r.trial} of {r.search} to {r.out}: {r.reason}")
    print(
        f"verified: test {r.metric} {r.test_score:.4f} "
        f"(the search stored {r.stored_test_score:.4f})"
    )
    for name, digest in r.files.items():
        print(f"  {name:<16} sha256 {digest}")
    from autonn.package._card import input_file
    from autonn.package._predict import read_card

    inputs = input_file(read_card(r.out))  # inputs.csv after a search on a .csv
    print(f"\nnext: autonn predict {r.out} {inputs}  (MODEL_CARD.md shows how to make {inputs})")
    return 0


def predict(args: argparse.Namespace) -> int:
    from autonn.package import load

    model = load(args.package)
    sys.stdout.write(model.predictions_csv(model.read_inputs(args.input), proba=args.proba))
    return 0


def dashboard(args: argparse.Namespace) -> int:
    from autonn.dashboard import serve
    from autonn.dashboard._auth import access_for, is_loopback

    access = access_for(args.host, token=args.token, no_auth=args.no_auth)
    if access.no_auth and not is_loopback(args.host):
        print(
            f"autonn dashboard: warning: --no-auth on {args.host or 'every address'}: anyone "
            "who can reach this port reads every search in the database and can export from it",
            file=sys.stderr,
        )
    print(f"autonn dashboard: {access.url(args.host, args.port)}  (Ctrl-C stops it)", flush=True)
    return serve(
        args.storage, host=args.host, port=args.port, token=access.token, no_auth=access.no_auth
    )
