#!/usr/bin/env python3
"""Fails when a C file of common/, workers/ or tools/ spells a statement longer than a line as C string
literals: it belongs in the sql/ folder beside its module (README, "SQL")."""
import pathlib, re, sys

START = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b')
found = 0
root = pathlib.Path(sys.argv[1])
for path in sorted(list(root.glob('common/*/*.c')) + list(root.glob('workers/*/*.c')) + list(root.glob('tools/*/*.c'))):
    lines = path.read_text().split('\n')
    for i, line in enumerate(lines[:-1]):
        if START.search(line) and 'log_' not in line and re.match(r'\s*"', lines[i + 1]):
            print(f'{path.relative_to(root)}:{i + 1}: a statement longer than a line in C')
            found += 1
print(f'sql_in_c: {found} finding(s)')
sys.exit(1 if found else 0)
