#!/usr/bin/env python3
"""Writes a man(7) page for a Starling program from its own description of its command line.

Usage: manpage.py PROGRAM SECTION VERSION DATE > PAGE

PROGRAM is run with --experimental-dump-help (swift-argument-parser's JSON of every command,
option and help text), so the page always says what the binary in the package accepts.
"""
import json
import subprocess
import sys


def escape(text):
    """Escapes text for roff: backslashes, hyphens, and a leading control character on any line."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flag_names(argument):
    names = []
    for name in argument.get("names", []):
        dashes = "--" if name["kind"] == "long" else "-"
        names.append("\\fB" + escape(dashes + name["name"]) + "\\fR")
    return ", ".join(names)


def argument_entry(argument):
    """One .TP entry: the option's names and value, then its help and default."""
    if argument["kind"] == "positional":
        head = "\\fI" + escape(argument.get("valueName", "value")) + "\\fR"
    else:
        head = flag_names(argument)
        if argument["kind"] == "option":
            head += " \\fI" + escape(argument.get("valueName", "value")) + "\\fR"
    text = argument.get("abstract", "")
    if argument.get("discussion"):
        text += " " + argument["discussion"]
    if argument.get("defaultValue") not in (None, ""):
        text += " (default: " + argument["defaultValue"] + ")"
    return [".TP", head, escape(text.strip())]


def is_help_or_version(argument):
    return argument["kind"] == "flag" and any(name["name"] in ("help", "version") for name in argument["names"])


def visible(items):
    return [item for item in items if item.get("shouldDisplay", True)]


def command_section(command, path):
    """The lines describing one command and, after it, each of its subcommands."""
    lines = []
    name = " ".join(path)
    subcommands = visible(command.get("subcommands", []))
    arguments = [argument for argument in visible(command.get("arguments", [])) if not is_help_or_version(argument)]
    if len(path) > 1:
        lines += [".SS " + escape(name)]
        if command.get("abstract"):
            lines += [escape(command["abstract"])]
        if command.get("discussion"):
            lines += [".PP", escape(command["discussion"])]
    for argument in arguments:
        lines += argument_entry(argument)
    for subcommand in subcommands:
        lines += command_section(subcommand, path + [subcommand["commandName"]])
    return lines


def main():
    program, section, version, date = sys.argv[1:5]
    dump = subprocess.run([program, "--experimental-dump-help"], check=True, capture_output=True, text=True)
    root = json.loads(dump.stdout)["command"]
    name = root["commandName"]
    subcommands = visible(root.get("subcommands", []))
    lines = [
        '.TH "%s" "%s" "%s" "Starling %s" "Starling"' % (name.upper(), section, date, version),
        ".SH NAME",
        escape(name) + " \\- " + escape(root.get("abstract", "")),
        ".SH SYNOPSIS",
        ".B " + escape(name),
    ]
    lines += ["\\fIcommand\\fR [\\fIoptions\\fR]" if subcommands else "[\\fIoptions\\fR]"]
    lines += [".SH DESCRIPTION", escape(root.get("abstract", ""))]
    if root.get("discussion"):
        lines += [".PP", escape(root["discussion"])]
    lines += [".PP", "Every command takes \\fB\\-\\-help\\fR; \\fB" + escape(name) + " \\-\\-version\\fR prints the release."]
    lines += [".SH " + ("COMMANDS" if subcommands else "OPTIONS")]
    lines += command_section(root, [name])
    lines += [".SH SEE ALSO"]
    others = [page for page in ("starling(1)", "starling-aggregator(8)", "starling-agent(8)") if not page.startswith(name + "(")]
    lines += [", ".join("\\fB%s\\fR(%s)" % tuple(page[:-1].split("(")) for page in others)]
    sys.stdout.write("\n".join(lines) + "\n")


main()
