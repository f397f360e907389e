# SPDX-License-Identifier: GPL-2.0
#
# kml-census.py - gdb script: trace one null system call (getppid) through
# the kernel, instruction by instruction, for each way in, and classify the
# instructions.  Run by tools/kml-census, which boots the guest in census
# mode (it loops getppid: unstamped through SYSCALL, stamped through
# SYSCALL, stamped through the direct call) with QEMU's gdb stub.
#
# Environment: CENSUS_PORT (gdb stub), CENSUS_OUT (JSON written here),
# CENSUS_SKIP (hits of each entry point let through first, so the traced
# call is a warm one in the middle of the loop).
#
# QEMU's gdb stub single-steps with interrupts and timers masked
# (its default), so the trace is exactly the system call's own path.
import json
import os
import re

import gdb

NR_GETPPID = 110
USER_TOP = 0x800000000000
MAX_STEPS = 20000

# (name, entry symbol): the order in which the guest runs the loops.
WAYS = [
    ("unstamped-syscall", "entry_SYSCALL_64"),
    ("stamped-syscall", "entry_SYSCALL_64_kml"),
    ("stamped-direct", "kml_direct_entry"),
]

# The system call's own work: the handler and what it calls.  getppid takes
# no arguments, so its __x64_sys_ wrapper and __do_sys_ body are one
# function at one address, and gdb names it by either symbol.
BODY = ("__x64_sys_getppid", "__do_sys_getppid")

INSN = re.compile(r"0x([0-9a-f]+)(?: <([^>+]+)(?:\+(\d+))?>)?:\s+(.*)$")


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


def trace_one(symbol):
    """Stop at @symbol for getppid, then step until back in user space."""
    bp = gdb.Breakpoint("*" + symbol, internal=True)
    bp.condition = "$rax == %d" % NR_GETPPID
    bp.ignore_count = int(os.environ.get("CENSUS_SKIP", "300"))
    gdb.execute("continue", to_string=True)
    bp.delete()
    steps = []
    while len(steps) < MAX_STEPS:
        pc = reg("pc")
        if pc < USER_TOP:
            break
        text = gdb.execute("x/i $pc", to_string=True).strip()
        m = INSN.search(text)
        if not m:
            raise gdb.GdbError("cannot parse: " + text)
        steps.append({"pc": pc, "sym": m.group(2) or "?",
                      "insn": " ".join(m.group(4).split())})
        gdb.execute("stepi", to_string=True)
    return steps


# Return thunks stand for "ret"; indirect thunks for "call/jmp *%reg".
RET_THUNK = re.compile(r"__x86_return_thunk|its_return_thunk|retbleed_return_thunk|"
                       r"srso_\w*return|call_depth_return_thunk")
IND_THUNK = re.compile(r"__x86_indirect_thunk_|__x86_indirect_its_thunk_|"
                       r"__x86_indirect_call_thunk")
MITIGATION = re.compile(RET_THUNK.pattern + "|" + IND_THUNK.pattern +
                        r"|entry_untrain_ret|entry_ibpb|clear_bhb_loop")


def classify(steps):
    """Counts by class, by function, and the body of the system call."""
    c = {k: 0 for k in ("total", "body", "around", "syscall", "sysret", "iret",
                        "swapgs", "mov_cr3", "mov_cr4", "wrmsr", "verw",
                        "lfence", "rdtsc", "cli", "sti", "popf",
                        "indirect_call", "indirect_jmp", "thunk_insns", "ret")}
    funcs = {}
    # The body: from the handler's first instruction to the "ret" that
    # leaves it, following calls (thunks included) by their depth.
    body = "before"
    depth = 0
    for s in steps:
        ins, sym = s["insn"], s["sym"]
        mnem = ins.split()[0]
        ops = ins[len(mnem):].strip()
        c["total"] += 1
        funcs[sym] = funcs.get(sym, 0) + 1
        if body == "before" and sym in BODY:
            body = "in"
        if body == "in":
            c["body"] += 1
            if mnem.startswith("call"):
                depth += 1
            elif mnem.startswith("ret"):
                if depth == 0:
                    body = "after"
                depth -= 1
        if mnem.startswith("sysret"):
            c["sysret"] += 1
        elif mnem.startswith("iret"):
            c["iret"] += 1
        elif mnem == "swapgs":
            c["swapgs"] += 1
        elif mnem == "mov" and ops.endswith("%cr3"):
            c["mov_cr3"] += 1
        elif mnem == "mov" and ops.endswith("%cr4"):
            c["mov_cr4"] += 1
        elif mnem == "wrmsr":
            c["wrmsr"] += 1
        elif mnem == "verw":
            c["verw"] += 1
        elif mnem == "lfence":
            c["lfence"] += 1
        elif mnem in ("rdtsc", "rdtscp"):
            c["rdtsc"] += 1
        elif mnem == "cli":
            c["cli"] += 1
        elif mnem == "sti":
            c["sti"] += 1
        elif mnem.startswith("popf"):
            c["popf"] += 1
        in_thunk = bool(MITIGATION.search(sym))
        if not in_thunk:
            if mnem.startswith("call") and (ops.startswith("*") or IND_THUNK.search(ops)):
                c["indirect_call"] += 1
            if mnem.startswith("jmp") and (ops.startswith("*") or IND_THUNK.search(ops)):
                c["indirect_jmp"] += 1
            if mnem.startswith("ret") or (mnem.startswith("jmp") and RET_THUNK.search(ops)):
                c["ret"] += 1
        else:
            c["thunk_insns"] += 1
    c["around"] = c["total"] - c["body"]
    return c, funcs


def main():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("target remote 127.0.0.1:%s" % os.environ["CENSUS_PORT"])
    result = {}
    for name, symbol in WAYS:
        steps = trace_one(symbol)
        counts, funcs = classify(steps)
        result[name] = {"entry": symbol, "counts": counts, "functions": funcs,
                        "trace": ["%s %s" % (s["sym"], s["insn"]) for s in steps]}
        gdb.write("census: %s: %d instructions (%d body)\n"
                  % (name, counts["total"], counts["body"]))
    with open(os.environ["CENSUS_OUT"], "w") as f:
        json.dump(result, f, indent=1)
    gdb.execute("kill")


main()
