#!/usr/bin/python3
"""Instructions per parsed message for sip_parser_bench, by callgrind.

Runs each benchmark case under callgrind for a fixed number of iterations (SBC_BENCH_ITERATIONS)
with collection limited to the benchmark function, then divides the instructions collected by the
number of calls to sbc::sip::parse(std::string_view) made from it. Instruction counts do not depend
on the load of the machine, unlike CPU time.

usage: bench/sip/callgrind_per_message.py BENCH_BINARY [NAME ...]
       (NAME: first_pass, routing, full, relay; all four when none is given)
"""
import os
import re
import subprocess
import sys
import tempfile

CASES = ["REGISTER (TLS)", "INVITE + SDP", "200 OK"]


def per_message(binary, name, arg, workdir):
    out = os.path.join(workdir, f"cg.{name}.{arg}")
    cmd = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--compress-pos=no",
        "--compress-strings=no", "--collect-atstart=no",
        f"--toggle-collect=(anonymous namespace)::{name}(benchmark::State&)", binary,
        f"--benchmark_filter=^{name}/{arg}(/|$)"
    ]
    env = dict(os.environ, SBC_BENCH_ITERATIONS="10000")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    total = None
    calls = 0
    pending_parse = False
    with open(out) as f:
        for line in f:
            if line.startswith("totals:"):
                total = int(line.split()[1])
            elif line.startswith("cfn="):
                pending_parse = re.match(
                    r"cfn=sbc::sip::parse\(std::basic_string_view<char, std::char_traits<char> >,",
                    line) is not None
            elif line.startswith("calls=") and pending_parse:
                calls += int(line.split("=")[1].split()[0])
                pending_parse = False
    os.unlink(out)
    if not total or not calls:
        raise RuntimeError(f"{name}/{arg}: no data (total={total}, calls={calls})")
    return total / calls


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    names = sys.argv[2:] or ["first_pass", "routing", "full", "relay"]
    print("| benchmark | " + " | ".join(CASES) + " |")
    print("|---|" + "---|" * len(CASES))
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            row = [f"{per_message(binary, name, arg, workdir) / 1000:.1f} k"
                   for arg in range(len(CASES))]
            print(f"| {name} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
