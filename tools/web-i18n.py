#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes the web shop as it is served: the files of web/ and, for each
language of po/LINGUAS, i18n/LANG.json with the translations of the shop's
messages (the msgids po/ has from web/*.js, see po/POTFILES).

The shop's messages are in the same catalogues as the app's, so that
translators keep one file per language; a browser cannot read a .po, so
this writes the part of it the shop needs. A message that is untranslated
or fuzzy is left out, and the shop shows its English.

usage: web-i18n.py SOURCE_ROOT OUT_DIR [STAMP]
       web-i18n.py SOURCE_ROOT --install DIR  (DIR under $MESON_INSTALL_DESTDIR_PREFIX)
"""
import ast
import json
import os
import shutil
import sys


def read_po(path):
    """The (references, msgctxt, msgid, msgstr, fuzzy) of each entry."""
    entries = []
    entry = None
    field = None

    def finish():
        if entry is not None and 'msgid' in entry:
            entries.append(entry)

    with open(path, encoding='utf-8') as po:
        for raw in po:
            line = raw.strip()
            if not line:
                finish()
                entry, field = None, None
                continue
            if entry is None:
                entry = {'refs': [], 'fuzzy': False}
            if line.startswith('#:'):
                entry['refs'] += [r.rsplit(':', 1)[0] for r in line[2:].split()]
            elif line.startswith('#,'):
                entry['fuzzy'] |= 'fuzzy' in line
            elif line.startswith('#'):
                continue
            elif line.startswith('"'):
                entry[field] += ast.literal_eval(line)
            else:
                field, _, rest = line.partition(' ')
                entry[field] = ast.literal_eval(rest)
    finish()
    return entries


def catalogue(po_path):
    strings = {}
    for e in read_po(po_path):
        if (e['msgid'] and e.get('msgstr') and not e['fuzzy'] and 'msgctxt' not in e and
                any(r.startswith('web/') for r in e['refs'])):
            strings[e['msgid']] = e['msgstr']
    return strings


def make(source, out):
    web = os.path.join(source, 'web')
    if os.path.isdir(out):
        shutil.rmtree(out)
    shutil.copytree(web, out, ignore=shutil.ignore_patterns('meson.build'))
    os.makedirs(os.path.join(out, 'i18n'), exist_ok=True)
    with open(os.path.join(source, 'po', 'LINGUAS'), encoding='utf-8') as linguas:
        languages = [w for line in linguas if not line.startswith('#') for w in line.split()]
    for lang in languages:
        strings = catalogue(os.path.join(source, 'po', lang + '.po'))
        with open(os.path.join(out, 'i18n', lang + '.json'), 'w', encoding='utf-8') as f:
            json.dump(strings, f, ensure_ascii=False, indent=0, sort_keys=True)
            f.write('\n')


def main(argv):
    if len(argv) == 4 and argv[2] == '--install':
        prefix = os.environ.get('MESON_INSTALL_DESTDIR_PREFIX', '')
        make(argv[1], os.path.join(prefix, argv[3]))
    elif len(argv) in (3, 4):
        make(argv[1], argv[2])
        if len(argv) == 4:
            with open(argv[3], 'w', encoding='utf-8') as stamp:
                stamp.write('')
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
