"""Hot-code layout of the release agent, from its link map (lld -Map) and symbol table.

  layout.py entries MAP BINARY
      Prints the address of every function entry in the agent's .text (hex, sorted): each named
      function and each input section, which with -function-sections is one function even when it
      has no symbol (closure contexts' destroy functions and other private helpers).
  layout.py order MAP BINARY TRACE DIR
      Reads an entry-trace.c log (addresses in first-call order) and writes DIR/hot-functions.txt
      (the named functions, for lld --symbol-ordering-file) and DIR/hot-sections.ld (the sections
      without a symbol, gathered in front of .text by a linker script).
"""
import re
import struct
import subprocess
import sys
from collections import defaultdict

MAP_LINE = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (\s*)(.*)$")
OBJECT = re.compile(r"^(?:.*/)?([^/]+\.build/[^/:]+\.o):\((\.text\.[^)]+)\)$")


def text_sections(map_path):
    """(address, input section) of every non-empty input section in .text and .text.hot."""
    sections, in_text = [], False
    with open(map_path) as lines:
        for line in lines:
            match = MAP_LINE.match(line.rstrip("\n"))
            if not match:
                continue
            address, size, indent, name = match.groups()
            if not indent:
                in_text = name == ".text" or name.startswith(".text.")
            elif in_text and len(indent) == 8 and int(size, 16) > 0:
                sections.append((int(address, 16), name))
    return sections


def function_names(binary):
    names = defaultdict(list)
    table = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True, check=True).stdout
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[3] == "FUNC" and fields[6] != "UND" and fields[2] != "0":
            names[int(fields[1], 16)].append(fields[7])
    return names


def entries(map_path, binary):
    addresses = set(function_names(binary)) | {address for address, _ in text_sections(map_path)}
    for address in sorted(addresses):
        print(f"{address:x}")


def order(map_path, binary, trace_path, directory):
    names = function_names(binary)
    sections = dict(text_sections(map_path))
    with open(trace_path, "rb") as trace:
        called = list(dict.fromkeys(address for (address,) in struct.iter_unpack("<Q", trace.read())))
    listed, unnamed = set(), []
    with open(f"{directory}/hot-functions.txt", "w") as out:
        for address in called:
            for name in names.get(address, []):
                if name not in listed:
                    listed.add(name)
                    out.write(name + "\n")
            match = OBJECT.match(sections.get(address, "")) if address not in names else None
            if match:
                unnamed.append(f"        */{match.group(1)}({match.group(2)})")
    with open(f"{directory}/hot-sections.ld", "w") as out:
        out.write("/* Functions without a symbol that the serving agent runs; see record-hot-functions.sh. */\n")
        out.write("SECTIONS {\n    .text.hot : {\n" + "".join(line + "\n" for line in unnamed) + "    }\n}\n")
        out.write("INSERT BEFORE .text;\n")


if __name__ == "__main__":
    if sys.argv[1] == "entries":
        entries(*sys.argv[2:4])
    elif sys.argv[1] == "order":
        order(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
