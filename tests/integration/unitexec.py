#!/usr/bin/env python3
# unitexec.py UNIT KEY --- the command lines of KEY (ExecStart, ExecStartPre,
# ExecStopPost) in a systemd unit file, split into words as systemd does for
# these units (quotes, "\" line continuations, "$$" and "%%" escapes, the
# "+" and "-" prefixes dropped), one command a line, its words quoted for
# the shell (eval "cmd=($line)");
# UNIT env: the environment the unit sets (Environment=, then the
# EnvironmentFile=), one NAME=value a line.  For t4000: run a unit's
# commands without systemd.  Only what the drydock units use is handled:
# no specifiers other than %%, no $VAR expansion outside "$$".
import shlex
import sys


def service_lines(path):
    """(key, value) of [Service], continuation lines joined."""
    out, section, cur = [], None, ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if cur:
            line = cur + " " + line.lstrip()
            cur = ""
        if line.endswith("\\"):
            cur = line[:-1].rstrip()
            continue
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("["):
            section = s
            continue
        if section == "[Service]" and "=" in s:
            k, v = s.split("=", 1)
            out.append((k.strip(), v.strip()))
    return out


def unescape(word):
    return word.replace("$$", "$").replace("%%", "%")


def main():
    path, key = sys.argv[1], sys.argv[2]
    lines = service_lines(path)
    if key == "env":
        env = {}
        for k, v in lines:
            if k == "Environment":
                for w in shlex.split(v):
                    n, _, val = w.partition("=")
                    env[n] = val
            elif k == "EnvironmentFile":
                f = v[1:] if v.startswith("-") else v
                try:
                    for l in open(sys.argv[3] if len(sys.argv) > 3 else f):
                        l = l.strip()
                        if l and not l.startswith("#") and "=" in l:
                            n, _, val = l.partition("=")
                            env[n.strip()] = val.strip()
                except FileNotFoundError:
                    if not v.startswith("-"):
                        raise
        for n, val in env.items():
            print(f"{n}={val}")
        return
    for k, v in lines:
        if k != key:
            continue
        v = v.lstrip("+-@:!")
        words = [unescape(w) for w in shlex.split(v)]
        print(shlex.join(words))


main()
