"""Validation time of a generated 500-node flow (target: 100 ms or less).

The flow cycles through say, menu (speech keywords), gather, branch, set, lookup and
authenticate nodes with templates, and ends in queues, a voicemail and a hangup: every check
of ``load_flows`` (schema, templates, expressions, targets, reachability, dead ends, busy
loops) runs on it. Baseline in the same process: parsing the same text with libyaml alone.

Run: ``.venv/bin/python bench/validate_large.py [--nodes N] [--rounds N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import pin_one_core, summary

from voice.ivr import load_flows


def generate(nodes: int) -> str:
    """A valid flow text with about ``nodes`` nodes."""
    out = ["id: big", "name: Generated", "start: n0", 'numbers: ["7000"]', "nodes:"]
    kinds = ["say", "menu", "gather", "branch", "set", "lookup", "authenticate"]
    count = nodes - 3
    for i in range(count):
        nxt = f"n{i + 1}" if i + 1 < count else "bye"
        kind = kinds[i % len(kinds)]
        out.append(f"  n{i}:")
        out.append(f"    type: {kind}")
        if kind == "say":
            out.append(f'    text: "Step {i} for {{{{ customer.first_name }}}} '
                       f'at {{{{ call.to }}}}"')
        elif kind == "menu":
            out += [f'    prompt: "Menu {i}: press 1 to go on, 2 for a person."',
                    f'    choices: {{"1": {nxt}, "2": people}}',
                    '    speech: {next: "1", person: "2"}', "    failure: people"]
            out.append(f"    # menu {i}")
            continue
        elif kind == "gather":
            out += ['    prompt: "Enter the code."', "    digits: {min: 3, max: 6}",
                    f"    save_as: v{i}", "    failure: people"]
        elif kind == "branch":
            out += ["    when:", f"      - if: \"vars.v{i - 1} == '123' and auth.verified\"",
                    "        goto: people", f"    else: {nxt}"]
            continue
        elif kind == "set":
            out.append(f'    vars: {{step: "{i}", label: "{{{{ vars.step }}}}-{i}"}}')
        elif kind == "lookup":
            out += [f'    url: "https://crm.example/c/{{{{ call.from }}}}?n={i}"',
                    f"    save_as: crm{i}", "    on_error: people"]
        elif kind == "authenticate":
            out += ["    methods: [ani, account_pin]", f"    success: {nxt}",
                    "    failure: people"]
            continue
        out.append(f"    next: {nxt}")
    out += ["  people:", "    type: queue", "    queue: general", "    max_wait: 300",
            "    on_timeout: vm",
            "  vm:", "    type: record", '    prompt: "Leave a message."', "    next: bye",
            "  bye:", "    type: hangup", '    text: "Goodbye."']
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    pin_one_core()
    text = generate(args.nodes)
    flows, problems = load_flows({"big.yaml": text}, set())
    assert not problems, problems[:5]
    print(f"flow: {len(flows['big'].nodes)} nodes, {text.count(chr(10))} lines, "
          f"{args.rounds} rounds, 1 core")
    full, parse_only = [], []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        load_flows({"big.yaml": text}, set())
        full.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        yaml.compose(text, Loader=yaml.CSafeLoader)
        parse_only.append((time.perf_counter() - t0) * 1000)
    print(f"{'validate (load_flows), ms':<32} {summary(full)}")
    print(f"{'baseline: libyaml parse only, ms':<32} {summary(parse_only)}")
    ratio = statistics.median(full) / statistics.median(parse_only)
    print(f"ratio validate / parse: {ratio:.1f}")
    median = statistics.median(full)
    print(f"RESULT validation of {len(flows['big'].nodes)} nodes (median): {median:.1f} ms  "
          f"target <= 100 ms: {'met' if median <= 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
