#!/usr/bin/env python3
"""Rebuild aswbridge/codes/data (the shipped code lists) from their upstream data files.

Standard library only (Python 3.9+). Written for aswbridge; it contains no code taken
from the upstream repositories. aswbridge/codes/data/README.md says where each input
file comes from and how to get it; CONTRIBUTING.md says when to run it.

Usage (every input is optional; only the outputs whose inputs are given are
rebuilt, and unece_rec19.csv is always written):

    python tools/regenerate_codes.py --out aswbridge/codes/data \
        --iso3166-json   iso3166-1.json        (pycountry/databases/iso3166-1.json)
        --currency-csv   codes-all.csv         (datasets/currency-codes data/codes-all.csv)
        --rec20-xlsx     rec20_Rev17e-2021.xlsx
        --rec21-xls      rec21_Rev12e_Annex-V-VI_2021.xls
        --hs2022-csv     hs2022.csv   (datasets/harmonized-system data/harmonized-system.csv)
        --hs2017-csv     hs2017.csv   (same path, at the HS2017 commit)

If --iso3166-json is omitted and the pycountry package is importable, its
bundled iso3166-1.json is used.

Outputs: UTF-8 CSV (no BOM), one header row, '\n' line endings, every cell on
one line (runs of whitespace, including line breaks, collapsed to one space).
"""

import argparse
import csv
import json
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile

# --------------------------------------------------------------------------
# helpers


def clean(value):
    """Collapse whitespace (incl. NBSP, CR/LF) to single spaces and strip."""
    if value is None:
        return ""
    return re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)
    print(f"wrote {os.path.basename(path):<32} {len(rows):6d} rows")


# --------------------------------------------------------------------------
# minimal .xlsx (Office Open XML) reader: cell values as text


_X = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_M = "{" + _X["m"] + "}"  # Clark-notation prefixes
_R = "{" + _X["r"] + "}"


def _unescape_ooxml(s):
    # OOXML escapes control characters as _xHHHH_
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)


def _col_index(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group():
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(path):
    """Return {sheet name: [row, ...]} where each row is a list of strings."""
    z = zipfile.ZipFile(path)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
        for si in root.findall("m:si", _X):
            text = "".join(t.text or "" for t in si.iter(f"{_M}t"))
            shared.append(_unescape_ooxml(text))
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    sheets = {}
    for sh in wb.find("m:sheets", _X):
        target = targets[sh.get(f"{_R}id")].lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        root = ET.fromstring(z.read(target))
        rows = []
        for row in root.iter(f"{_M}row"):
            cells = {}
            for c in row.findall("m:c", _X):
                t = c.get("t")
                v = c.find("m:v", _X)
                if t == "s":
                    val = shared[int(v.text)] if v is not None else ""
                elif t == "inlineStr":
                    val = _unescape_ooxml("".join(x.text or "" for x in c.iter(f"{_M}t")))
                else:
                    val = v.text if v is not None and v.text is not None else ""
                cells[_col_index(c.get("r"))] = val
            width = max(cells) + 1 if cells else 0
            rows.append([cells.get(i, "") for i in range(width)])
        sheets[sh.get("name")] = rows
    return sheets


# --------------------------------------------------------------------------
# minimal .xls (BIFF8 in an OLE2 compound file) reader: cell values as text


def _ole_stream(data, names=("Workbook", "Book")):
    sec_size = 1 << struct.unpack_from("<H", data, 30)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 32)[0]
    (n_fat, dir_start, _, cutoff, minifat_start, _n_minifat, difat_start, n_difat) = (
        struct.unpack_from("<8I", data, 44)
    )

    def sector(i):
        return data[512 + i * sec_size : 512 + (i + 1) * sec_size]

    difat = list(struct.unpack_from("<109I", data, 76))
    nxt = difat_start
    for _ in range(n_difat):
        s = sector(nxt)
        per = sec_size // 4
        difat.extend(struct.unpack_from(f"<{per - 1}I", s))
        nxt = struct.unpack_from("<I", s, sec_size - 4)[0]
    fat = []
    for i in difat[:n_fat]:
        fat.extend(struct.unpack(f"<{sec_size // 4}I", sector(i)))

    def chain(start, table):
        out, i = [], start
        while i < 0xFFFFFFFA:
            out.append(i)
            i = table[i]
        return out

    directory = b"".join(sector(i) for i in chain(dir_start, fat))
    entries = []
    for off in range(0, len(directory), 128):
        e = directory[off : off + 128]
        name_len = struct.unpack_from("<H", e, 64)[0]
        name = e[: max(name_len - 2, 0)].decode("utf-16-le", "replace")
        start, size = struct.unpack_from("<II", e, 116)
        entries.append((name, e[66], start, size))
    for name, kind, start, size in entries:
        if kind != 2 or name not in names:
            continue
        if size >= cutoff:
            return b"".join(sector(i) for i in chain(start, fat))[:size]
        root_start = entries[0][2]
        ministream = b"".join(sector(i) for i in chain(root_start, fat))
        minifat = []
        for i in chain(minifat_start, fat):
            minifat.extend(struct.unpack(f"<{sec_size // 4}I", sector(i)))
        parts = [ministream[i * mini_size : (i + 1) * mini_size] for i in chain(start, minifat)]
        return b"".join(parts)[:size]
    raise ValueError(f"no Workbook stream in {names}")


def _rk_value(v):
    if v & 2:
        n = v >> 2
        if n & (1 << 29):
            n -= 1 << 30
        x = float(n)
    else:
        x = struct.unpack("<d", struct.pack("<Q", (v & 0xFFFFFFFC) << 32))[0]
    return x / 100 if v & 1 else x


def _num_text(x):
    return str(int(x)) if float(x).is_integer() else repr(x)


def _short_string(b, off, count_size):
    """XLUnicodeString with a 1- or 2-byte character count at b[off]."""
    if count_size == 1:
        cch, flags = b[off], b[off + 1]
        p = off + 2
    else:
        cch, flags = struct.unpack_from("<HB", b, off)
        p = off + 3
    wide = flags & 1
    raw = b[p : p + cch * (2 if wide else 1)]
    return raw.decode("utf-16-le" if wide else "latin-1")


def _read_sst(total, chunks):
    """Shared string table; chunks = SST body (after its 8-byte header) + CONTINUEs."""
    strings = []
    ci, pos = 0, 0
    for _ in range(total):
        if pos >= len(chunks[ci]):
            ci, pos = ci + 1, 0
        cch, flags = struct.unpack_from("<HB", chunks[ci], pos)
        pos += 3
        runs = ext = 0
        if flags & 8:
            runs = struct.unpack_from("<H", chunks[ci], pos)[0]
            pos += 2
        if flags & 4:
            ext = struct.unpack_from("<I", chunks[ci], pos)[0]
            pos += 4
        wide, left, parts = flags & 1, cch, []
        while left:
            if pos >= len(chunks[ci]):
                # characters continue in the next record, which starts with a new flags byte
                ci, pos = ci + 1, 0
                wide = chunks[ci][0] & 1
                pos = 1
            width = 2 if wide else 1
            take = min(left, (len(chunks[ci]) - pos) // width)
            parts.append(
                chunks[ci][pos : pos + take * width].decode("utf-16-le" if wide else "latin-1")
            )
            pos += take * width
            left -= take
        skip = runs * 4 + ext
        while skip:
            if pos >= len(chunks[ci]):
                ci, pos = ci + 1, 0
            step = min(skip, len(chunks[ci]) - pos)
            pos += step
            skip -= step
        strings.append("".join(parts))
    return strings


def read_xls(path):
    """Return {worksheet name: [row, ...]} where each row is a list of strings."""
    with open(path, "rb") as fh:
        stream = _ole_stream(fh.read())
    records, p = [], 0
    while p + 4 <= len(stream):
        rtype, length = struct.unpack_from("<HH", stream, p)
        records.append((rtype, p, stream[p + 4 : p + 4 + length]))
        p += 4 + length
    sst = []
    for k, (rtype, _, body) in enumerate(records):
        if rtype == 0x00FC:  # SST
            chunks = [body[8:]]
            j = k + 1
            while j < len(records) and records[j][0] == 0x003C:  # CONTINUE
                chunks.append(records[j][2])
                j += 1
            sst = _read_sst(struct.unpack_from("<I", body, 4)[0], chunks)
            break
    sheets = []
    for rtype, _, body in records:
        if rtype == 0x0085 and body[5] == 0:  # BOUNDSHEET, worksheet
            sheets.append((_short_string(body, 6, 1), struct.unpack_from("<I", body, 0)[0]))
    out = {}
    for name, bof in sheets:
        start = next(i for i, r in enumerate(records) if r[1] == bof)
        cells, pending = {}, None
        for rtype, _, b in records[start + 1 :]:
            if rtype == 0x000A:  # EOF
                break
            if rtype == 0x00FD:  # LABELSST
                r, c, _, i = struct.unpack_from("<HHHI", b)
                cells[(r, c)] = sst[i]
            elif rtype == 0x0204:  # LABEL
                r, c = struct.unpack_from("<HH", b)
                cells[(r, c)] = _short_string(b, 6, 2)
            elif rtype == 0x0203:  # NUMBER
                r, c, _, v = struct.unpack_from("<HHHd", b)
                cells[(r, c)] = _num_text(v)
            elif rtype == 0x027E:  # RK
                r, c, _, v = struct.unpack_from("<HHHI", b)
                cells[(r, c)] = _num_text(_rk_value(v))
            elif rtype == 0x00BD:  # MULRK
                r, c0 = struct.unpack_from("<HH", b)
                for k in range((len(b) - 6) // 6):
                    v = struct.unpack_from("<I", b, 4 + k * 6 + 2)[0]
                    cells[(r, c0 + k)] = _num_text(_rk_value(v))
            elif rtype == 0x0006:  # FORMULA (cached result)
                r, c = struct.unpack_from("<HH", b)
                res = b[6:14]
                if res[6:8] == b"\xff\xff":
                    if res[0] == 0:
                        pending = (r, c)  # text result follows in a STRING record
                    elif res[0] == 1:
                        cells[(r, c)] = "TRUE" if res[2] else "FALSE"
                else:
                    cells[(r, c)] = _num_text(struct.unpack("<d", res)[0])
            elif rtype == 0x0207 and pending:  # STRING
                cells[pending] = _short_string(b, 0, 2)
                pending = None
        nrows = max((r for r, _ in cells), default=-1) + 1
        rows = []
        for r in range(nrows):
            width = max((c for rr, c in cells if rr == r), default=-1) + 1
            rows.append([cells.get((r, c), "") for c in range(width)])
        out[name] = rows
    return out


# --------------------------------------------------------------------------
# builders


def build_iso3166(src, out):
    with open(src, encoding="utf-8") as f:
        data = json.load(f)["3166-1"]
    rows = sorted(
        (
            [
                d["alpha_2"],
                d["alpha_3"],
                d["numeric"],
                clean(d["name"]),
                clean(d.get("official_name", "")),
            ]
            for d in data
        ),
        key=lambda r: r[0],
    )
    assert len({r[0] for r in rows}) == len(rows)
    write_csv(
        os.path.join(out, "iso3166.csv"),
        ["alpha2", "alpha3", "numeric", "name", "official_name"],
        rows,
    )


def build_iso4217(src, out):
    """Active codes = rows of the consolidated table without a withdrawal date."""
    by_code = {}
    with open(src, encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            code = clean(r["AlphabeticCode"])
            if clean(r["WithdrawalDate"]) or not code:
                continue
            minor = clean(r["MinorUnit"])
            if minor in ("", "-", "N.A."):
                minor = "N.A."
            key = (clean(r["NumericCode"]), minor, clean(r["Currency"]))
            entry = by_code.setdefault(code, {"key": key, "entities": []})
            if entry["key"] != key:
                raise ValueError(f"inconsistent rows for {code}: {entry['key']!r} vs {key!r}")
            entry["entities"].append(clean(r["Entity"]))
    rows = [
        [code, e["key"][0], e["key"][1], e["key"][2], "; ".join(e["entities"])]
        for code, e in sorted(by_code.items())
    ]
    write_csv(
        os.path.join(out, "iso4217.csv"),
        ["alpha_code", "numeric_code", "minor_units", "name", "entities"],
        rows,
    )


# Rec 20 / Rec 21 status column: blank = current entry; "D" deprecated;
# "X" marked as deleted; "+", "#", "¦" (or "|"), "=" flag entries added,
# renamed, changed or reinstated in the revision (still current).
def _status(marker):
    m = marker.strip()
    if m == "X":
        return "deleted"
    if m == "D":
        return "deprecated"
    return "active"


def build_rec20(src, out):
    sheet = read_xlsx(src)["Annex II & Annex III"]
    header = [clean(h).lower() for h in sheet[0]]
    if header[:3] != ["status", "common code", "name"]:
        raise ValueError(f"unexpected Rec 20 header: {header!r}")
    rows, seen = [], set()
    for r in sheet[1:]:
        r = (r + [""] * 7)[:7]
        code = clean(r[1])
        if not code:
            continue
        if code in seen:
            raise ValueError(f"duplicate Rec 20 code {code}")
        seen.add(code)
        marker = clean(r[0])
        rows.append(
            [code, clean(r[2]), _status(marker), marker, clean(r[4]), clean(r[5]), clean(r[3])]
        )
    write_csv(
        os.path.join(out, "unece_rec20.csv"),
        ["code", "name", "status", "status_marker", "level_category", "symbol", "description"],
        rows,
    )


def build_rec21(src, out):
    book = read_xls(src)
    sheet = next(iter(book.values()))
    hdr = next(
        i
        for i, r in enumerate(sheet)
        if [clean(c).lower() for c in r[:3]] == ["status", "code", "name"]
    )
    rows = []
    for r in sheet[hdr + 1 :]:
        r = (r + [""] * 5)[:5]
        code = clean(r[1])
        if not code:
            continue
        marker = clean(r[0])
        rows.append([code, clean(r[2]), _status(marker), marker, clean(r[4]), clean(r[3])])
    assert len({r[0] for r in rows}) == len(rows)
    write_csv(
        os.path.join(out, "unece_rec21.csv"),
        ["code", "name", "status", "status_marker", "numeric_code", "description"],
        rows,
    )


# UN/CEFACT Recommendation No. 19, Codes for Modes of Transport (one-digit codes).
REC19 = [
    ("0", "Transport mode not specified"),
    ("1", "Maritime transport"),
    ("2", "Rail transport"),
    ("3", "Road transport"),
    ("4", "Air transport"),
    ("5", "Mail"),
    ("6", "Multimodal transport"),
    ("7", "Fixed transport installations"),
    ("8", "Inland water transport"),
    ("9", "Transport mode not applicable"),
]


def build_rec19(out):
    write_csv(os.path.join(out, "unece_rec19.csv"), ["code", "name"], [list(x) for x in REC19])


def build_hs(src, out, name):
    """6-digit subheadings only; the statistical '999999' (not specified) line is dropped."""
    rows = []
    with open(src, encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            code = clean(r.get("hscode"))
            if clean(r.get("level")) != "6" or not re.fullmatch(r"\d{6}", code) or code == "999999":
                continue
            rows.append([code, clean(r["description"]), code[:4], code[:2], clean(r["section"])])
    rows.sort(key=lambda x: x[0])
    assert len({r[0] for r in rows}) == len(rows)
    write_csv(
        os.path.join(out, name), ["code", "description", "heading", "chapter", "section"], rows
    )


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        default=os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            "aswbridge",
            "codes",
            "data",
        ),
    )
    ap.add_argument("--iso3166-json")
    ap.add_argument("--currency-csv")
    ap.add_argument("--rec20-xlsx")
    ap.add_argument("--rec21-xls")
    ap.add_argument("--hs2022-csv")
    ap.add_argument("--hs2017-csv")
    a = ap.parse_args(argv)
    if not a.iso3166_json:
        try:
            import pycountry  # optional: only to locate its bundled JSON file

            a.iso3166_json = os.path.join(
                os.path.dirname(pycountry.__file__), "databases", "iso3166-1.json"
            )
        except ImportError:
            pass
    os.makedirs(a.out, exist_ok=True)
    if a.iso3166_json:
        build_iso3166(a.iso3166_json, a.out)
    if a.currency_csv:
        build_iso4217(a.currency_csv, a.out)
    if a.rec20_xlsx:
        build_rec20(a.rec20_xlsx, a.out)
    if a.rec21_xls:
        build_rec21(a.rec21_xls, a.out)
    build_rec19(a.out)
    if a.hs2022_csv:
        build_hs(a.hs2022_csv, a.out, "hs2022_subheadings.csv")
    if a.hs2017_csv:
        build_hs(a.hs2017_csv, a.out, "hs2017_subheadings.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
