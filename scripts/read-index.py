#!/usr/bin/env python3
"""An index reader written from docs/FORMAT.md alone, with nothing from the Swift sources:
it shows that the page is enough to read an index, and `--check` decodes every part of every
segment and checks every checksum, so a change to the format that the page does not describe
fails a test (Tests/CLITests, `independentReaderReadsTheIndex`).

  read-index.py INDEX                  the commit: generation, roots, segments
  read-index.py INDEX --check          decode and check everything; print totals
  read-index.py INDEX --term TERM      each live document holding TERM: docid, freq, positions
"""
import os
import signal
import struct
import sys
import zlib


class FormatError(Exception):
    pass


def varint(buf, i):
    value, shift = 0, 0
    while True:
        if i >= len(buf):
            raise FormatError("varint runs past its section")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def string(buf, i):
    n, i = varint(buf, i)
    if i + n > len(buf):
        raise FormatError("string runs past its section")
    return buf[i:i + n].decode("utf-8"), i + n


def u32(buf, i):
    return struct.unpack_from("<I", buf, i)[0], i + 4


def u64(buf, i):
    return struct.unpack_from("<Q", buf, i)[0], i + 8


def envelope(path, kind):
    """The body of a file, after checking header, footer and CRC."""
    data = open(path, "rb").read()
    if len(data) < 28 or data[:4] != b"CZSX" or data[-4:] != b"XSZC":
        raise FormatError(f"{path}: not an index file")
    if data[4:8] != kind:
        raise FormatError(f"{path}: kind {data[4:8]!r}, expected {kind!r}")
    version = struct.unpack_from("<I", data, 8)[0]
    expected = 3 if kind == b"SEGM" else 1
    if version != expected:
        raise FormatError(f"{path}: format {version}, this reader knows {expected}")
    body_length, crc = struct.unpack_from("<QI", data, len(data) - 16)
    if 12 + body_length + 16 != len(data):
        raise FormatError(f"{path}: body length {body_length} does not match the file")
    if zlib.crc32(data[:12 + body_length]) != crc:
        raise FormatError(f"{path}: CRC mismatch")
    return data[12:12 + body_length]


def read_manifest(index):
    body = envelope(os.path.join(index, "MANIFEST"), b"MANI")
    generation, i = u64(body, 0)
    next_segment, i = u64(body, i)
    commit_time, i = u64(body, i)
    n, i = varint(body, i)
    roots = []
    for _ in range(n):
        root, i = string(body, i)
        roots.append(root)
    n, i = varint(body, i)
    segments = []
    for _ in range(n):
        name, i = string(body, i)
        docs, i = varint(body, i)
        deletion_generation, i = varint(body, i)
        deleted, i = varint(body, i)
        segments.append(dict(name=name, docs=docs, deletion_generation=deletion_generation, deleted=deleted))
    dictionary = None
    if i < len(body):
        dictionary_file, i = string(body, i)
        source, i = string(body, i)
        source_hash, i = u64(body, i)
        dictionary = dict(file=dictionary_file, source=source, hash=source_hash)
    return dict(generation=generation, next_segment=next_segment, commit_time=commit_time,
                roots=roots, segments=segments, dictionary=dictionary)


def read_deletions(index, segment):
    if segment["deletion_generation"] == 0:
        return set()
    path = os.path.join(index, f"{segment['name']}_{segment['deletion_generation']}.del")
    body = envelope(path, b"DELS")
    count, i = varint(body, 0)
    deleted = set()
    for d in range(count):
        if body[i + d // 8] >> (d % 8) & 1:
            deleted.add(d)
    return deleted


class Segment:
    TOC_SIZE = 7 * 8 + 4 + 4 + 8 + 4 + 4 + 4

    def __init__(self, path):
        self.path = path
        body = envelope(path, b"SEGM")
        # Offsets in the table of contents are absolute: keep the header in front.
        self.file = b"\0" * 12 + body
        toc_start = 12 + len(body) - self.TOC_SIZE
        toc = self.file[toc_start:toc_start + self.TOC_SIZE]
        if zlib.crc32(toc[:-4]) != struct.unpack_from("<I", toc, len(toc) - 4)[0]:
            raise FormatError(f"{path}: table of contents CRC mismatch")
        offsets = struct.unpack_from("<7Q", toc, 0)
        (self.term_count, self.doc_count, self.length_sum, self.lengths_crc,
         self.directories_crc) = struct.unpack_from("<IIQII", toc, 56)
        bounds = list(offsets) + [toc_start]
        names = ["postings", "term_blocks", "block_index", "directories", "doc_records", "doc_offsets", "doc_lengths"]
        self.section = {name: self.file[bounds[k]:bounds[k + 1]] for k, name in enumerate(names)}
        lengths = self.section["doc_lengths"]
        if zlib.crc32(lengths) != self.lengths_crc:
            raise FormatError(f"{path}: document lengths CRC mismatch")
        if zlib.crc32(self.section["directories"]) != self.directories_crc:
            raise FormatError(f"{path}: directories CRC mismatch")
        self.lengths = struct.unpack_from(f"<{self.doc_count}I", lengths, 0)
        if sum(self.lengths) != self.length_sum:
            raise FormatError(f"{path}: document lengths do not add up to the table of contents' sum")
        d = self.section["directories"]
        n, _ = u32(d, 0)
        starts = struct.unpack_from(f"<{n + 1}I", d, 4)
        data = d[4 + 4 * (n + 1):]
        self.directories = [data[starts[k]:starts[k + 1]].decode("utf-8") for k in range(n)]

    def terms(self):
        """(term bytes, postings bytes) in term order, checking every block's CRCs."""
        blocks, index, postings = self.section["term_blocks"], self.section["block_index"], self.section["postings"]
        block_count = len(index) // 20
        if block_count * 20 != len(index) or block_count != (self.term_count + 31) // 32:
            raise FormatError(f"{self.path}: block index of {len(index)} bytes for {self.term_count} terms")
        for b in range(block_count):
            start, postings_offset, block_crc, short_crc = struct.unpack_from("<IQII", index, 20 * b)
            end = struct.unpack_from("<I", index, 20 * (b + 1))[0] if b + 1 < block_count else len(blocks)
            block = blocks[start:end]
            if zlib.crc32(block + index[20 * b:20 * b + 12]) != block_crc:
                raise FormatError(f"{self.path}: term block {b} CRC mismatch")
            i, previous, short_crcs = 0, b"", b""
            for _ in range(min(32, self.term_count - 32 * b)):
                shared, i = varint(block, i)
                suffix_length, i = varint(block, i)
                term = previous[:shared] + block[i:i + suffix_length]
                i += suffix_length
                length, i = varint(block, i)
                stored = postings[postings_offset:postings_offset + length]
                postings_offset += length
                if length >= 512:
                    if zlib.crc32(stored[4:]) != struct.unpack_from("<I", stored, 0)[0]:
                        raise FormatError(f"{self.path}: postings CRC mismatch for {term!r}")
                    stored = stored[4:]
                else:
                    short_crcs += struct.pack("<I", zlib.crc32(stored))
                yield term, stored
                previous = term
            if i != len(block):
                raise FormatError(f"{self.path}: term block {b} has {len(block) - i} bytes left over")
            if zlib.crc32(short_crcs) != short_crc:
                raise FormatError(f"{self.path}: short postings CRC mismatch in block {b}")

    @staticmethod
    def has_positions(term):
        if term[:1] in (b"\x01", b"\x02"):
            return False
        return len(term.decode("utf-8")) <= 2

    def postings(self, term, stored):
        """[(doc, freq, positions or None)] of one term's postings."""
        df, i = varint(stored, 0)
        doc_stream_length, i = varint(stored, i)
        skips = []
        if df >= 128:
            for _ in range((df + 127) // 128):
                skips.append(struct.unpack_from("<5I", stored, i))
                i += 20
        stream = stored[i:i + doc_stream_length]
        positions_stream = stored[i + doc_stream_length:]
        docs, freqs, j, previous = [], [], 0, -1
        for _ in range(df // 128):
            a, b = stream[j], stream[j + 1]
            j += 2
            deltas = unpack(stream, j, a)
            j += 16 * a
            counts = unpack(stream, j, b)
            j += 16 * b
            for delta, count in zip(deltas, counts):
                previous += delta + 1
                docs.append(previous)
                freqs.append(count + 1)
        while len(docs) < df:
            code, j = varint(stream, j)
            previous += code >> 1
            docs.append(previous)
            if code & 1:
                freqs.append(1)
            else:
                f, j = varint(stream, j)
                freqs.append(f)
        if j != len(stream):
            raise FormatError(f"{self.path}: {term!r}: document stream has {len(stream) - j} bytes left over")
        result, k = [], 0
        for doc, freq in zip(docs, freqs):
            positions = None
            if self.has_positions(term):
                positions, p = [], 0
                for _ in range(freq):
                    delta, k = varint(positions_stream, k)
                    p += delta
                    positions.append(p)
            result.append((doc, freq, positions))
        if k != len(positions_stream):
            raise FormatError(f"{self.path}: {term!r}: positions stream has {len(positions_stream) - k} bytes left over")
        for n, (last_doc, _, _, max_freq, min_length) in enumerate(skips):
            block = result[128 * n:128 * (n + 1)]
            if block[-1][0] != last_doc or max(f for _, f, _ in block) != max_freq \
                    or min(self.lengths[d] for d, _, _ in block) != min_length:
                raise FormatError(f"{self.path}: {term!r}: skip entry {n} does not describe its block")
        return result

    def document(self, doc):
        offsets, records = self.section["doc_offsets"], self.section["doc_records"]
        start, end = struct.unpack_from("<II", offsets, 4 * doc)
        r = records[start:end]
        if zlib.crc32(r[:-4]) != struct.unpack_from("<I", r, len(r) - 4)[0]:
            raise FormatError(f"{self.path}: document {doc}: record CRC mismatch")
        directory, i = varint(r, 0)
        name, i = string(r, i)
        collection_id, i = string(r, i)
        tag, i = varint(r, i)
        path = self.directories[directory] + name
        if tag == 0:
            docid, i = string(r, i)
        elif tag == 1:
            docid = collection_id
        else:
            docid = path.encode("utf-8")[len(path.encode("utf-8")) - (tag - 2):].decode("utf-8")
        title, i = string(r, i)
        source_format = r[i]
        i += 1
        size, i = varint(r, i)
        mtime, i = u64(r, i)
        content_hash, i = u64(r, i)
        source_offset, i = varint(r, i)
        source_length, i = varint(r, i)
        length, i = varint(r, i)
        encoding, i = string(r, i)
        date, i = string(r, i)
        number, i = string(r, i)
        if i + 4 != len(r):
            raise FormatError(f"{self.path}: document {doc}: record has {len(r) - 4 - i} bytes left over")
        if length != self.lengths[doc]:
            raise FormatError(f"{self.path}: document {doc}: length {length}, doc lengths say {self.lengths[doc]}")
        return dict(path=path, docid=docid, title=title, format=source_format, size=size, length=length,
                    encoding=encoding or "UTF-8", date=date, number=number, collection_id=collection_id)


def unpack(buf, start, width):
    """128 values of `width` bits, least significant bit first."""
    if width == 0:
        return [0] * 128
    value = int.from_bytes(buf[start:start + 16 * width], "little")
    mask = (1 << width) - 1
    return [(value >> (width * k)) & mask for k in range(128)]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 else 2
    index = argv[1]
    manifest = read_manifest(index)
    if len(argv) == 2:
        print(f"generation {manifest['generation']}, roots {manifest['roots']}")
        for s in manifest["segments"]:
            print(f"{s['name']}: {s['docs']} documents, {s['deleted']} deleted")
        return 0
    segments = [(Segment(os.path.join(index, s["name"] + ".seg")), read_deletions(index, s)) for s in manifest["segments"]]
    if argv[2] == "--check":
        terms = postings = positions = documents = 0
        for (segment, deleted), entry in zip(segments, manifest["segments"]):
            if segment.doc_count != entry["docs"]:
                raise FormatError(f"{segment.path}: {segment.doc_count} documents, the manifest says {entry['docs']}")
            previous = None
            for term, stored in segment.terms():
                if previous is not None and not previous < term:
                    raise FormatError(f"{segment.path}: terms out of order at {term!r}")
                previous = term
                listed = segment.postings(term, stored)
                if any(not 0 <= d < segment.doc_count for d, _, _ in listed):
                    raise FormatError(f"{segment.path}: {term!r}: document number out of range")
                terms += 1
                postings += len(listed)
                positions += sum(len(p) for _, _, p in listed if p is not None)
            for d in range(segment.doc_count):
                segment.document(d)
            documents += segment.doc_count - len(deleted)
        print(f"ok: {len(segments)} segments, {documents} live documents, {terms} terms, "
              f"{postings} postings, {positions} positions")
        return 0
    if argv[2] == "--term" and len(argv) == 4:
        wanted = argv[3].encode("utf-8")
        for segment, deleted in segments:
            for term, stored in segment.terms():
                if term == wanted:
                    for doc, freq, positions in segment.postings(term, stored):
                        if doc not in deleted:
                            print(segment.document(doc)["docid"], freq, " ".join(map(str, positions or [])), sep="\t")
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    try:
        sys.exit(main(sys.argv))
    except FormatError as error:
        print(f"read-index: {error}", file=sys.stderr)
        sys.exit(1)
