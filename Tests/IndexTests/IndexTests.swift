import Foundation
import Testing
import Analysis
@testable import Index
import IndexFormat
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

func build(_ dir: TemporaryDirectory, roots: [String], options: IndexOptions = IndexOptions()) throws -> UpdateReport {
    let writer = try IndexWriter(directory: dir.path + "/index", options: options)
    return try writer.update(roots: roots.map { DocumentSource.absolutePath($0)! })
}

func paths(_ reader: IndexReader) throws -> [String] {
    var result: [String] = []
    try reader.forEachDocument { _, _, record in result.append(record.path) }
    return result.sorted()
}

@Suite struct SegmentRoundTripTests {
    @Test func postingsHoldWhatTheAnalyzerProduced() throws {
        let dir = TemporaryDirectory()
        let text = "西寧經(jīng)濟(jì)技術開發區東川工業園區，復工復產率達到100%。"
        dir.write("docs/a.txt", text)
        dir.write("docs/b.md", "# 標題\n园区建设")
        dir.write("docs/skip.xls", "not indexed")
        var options = IndexOptions()
        options.workers = 1
        let report = try build(dir, roots: [dir.path + "/docs"], options: options)
        #expect(report.added == 2)
        #expect(report.skippedFiles == 1)
        let reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.documentCount == 2)
        let segment = reader.segments[0].reader
        let analyzed = try Analyzer.forIndexing().analyze(text)
        // Every token of a.txt is in the index at its position.
        var docA = -1
        for d in 0..<segment.docCount where try segment.document(d).file.hasSuffix("a.txt") { docA = d }
        #expect(docA >= 0)
        #expect(try segment.docLength(docA) == UInt32(analyzed.tokens.count))
        for token in analyzed.tokens {
            let ordinal = try #require(try segment.lookup(Array(analyzed.term(token).utf8)))
            var cursor = try segment.postings(ordinal)
            var found = false
            while try cursor.next() {
                guard cursor.doc == docA else { continue }
                // Words of three or more characters store no positions, only frequencies.
                found = token.kind == .subword ? try cursor.positions().contains(token.position) : cursor.freq >= 1
            }
            #expect(found, "\(analyzed.term(token)) at \(token.position)")
        }
        // ICU's Han words are not indexed (their bigrams stand for them); Latin ones are.
        #expect(try Analyzer(script: .own).analyze(text).terms.contains("工业园区"))
        #expect(try segment.lookup(Array("工业园区".utf8)) == nil && segment.lookup(Array("园区".utf8)) != nil)
        let b = try segment.document(1 - docA)
        #expect(b.title == "標題")
        #expect(b.docID == "b.md")
        try reader.verify()
    }

    @Test func prefixLookupFindsBigramsAndUnigram() throws {
        let dir = TemporaryDirectory()
        dir.write("d/a.txt", "园区 园林 园")
        _ = try build(dir, roots: [dir.path + "/d"])
        let reader = try IndexReader.open(directory: dir.path + "/index")
        let segment = reader.segments[0].reader
        let range = try segment.terms(withPrefix: Array("园".utf8))
        let terms = try range.map { String(decoding: try segment.termBytes($0), as: UTF8.self) }
        #expect(terms == ["园", "园区", "园林"])  // byte order: 区 U+533A < 林 U+6797
    }
}

@Suite struct IncrementalUpdateTests {
    @Test func followsAddsChangesAndDeletes() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/one.txt", "復工復產")
        dir.write("docs/two.txt", "疫情防控")
        dir.write("docs/c.jsonl", """
        {"_id": "x1", "title": "標題一", "text": "工業園區"}
        {"_id": "x2", "title": "", "text": "經濟社會發展"}
        {"id": "p3", "contents": "非公企業黨建"}
        """)
        let root = dir.path + "/docs"
        var report = try build(dir, roots: [root])
        #expect((report.added, report.updated, report.removed, report.unchanged) == (5, 0, 0, 0))
        var reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(try paths(reader).map { $0.components(separatedBy: "/").last! }
                == ["c.jsonl#p3", "c.jsonl#x1", "c.jsonl#x2", "one.txt", "two.txt"])

        // Nothing changed: nothing is written.
        report = try build(dir, roots: [root])
        #expect((report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 5))
        #expect(!report.committed)

        // Change one file (different size), add one, delete one, change one collection line.
        dir.write("docs/one.txt", "有序推動復工復產工作")
        dir.write("docs/three.txt", "園區")
        dir.remove("docs/two.txt")
        dir.write("docs/c.jsonl", """
        {"_id": "x1", "title": "標題一", "text": "工業園區建設"}
        {"_id": "x2", "title": "", "text": "經濟社會發展"}
        """)
        report = try build(dir, roots: [root])
        #expect(report.updated == 2)  // one.txt, x1
        #expect(report.added == 1)    // three.txt
        #expect(report.removed == 2)  // two.txt, p3
        reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(try paths(reader).map { $0.components(separatedBy: "/").last! }
                == ["c.jsonl#x1", "c.jsonl#x2", "one.txt", "three.txt"])
        #expect(reader.documentCount == 4)
        try reader.verify()
    }

    @Test func mergesKeepSegmentCountBoundedAndDropDeletedDocuments() throws {
        let dir = TemporaryDirectory()
        var options = IndexOptions()
        options.maxSegments = 3
        options.workers = 1
        let root = dir.path + "/docs"
        for round in 0..<6 {
            dir.write("docs/f\(round).txt", "第\(round)輪 工業園區 復工復產")
            if round >= 2 { dir.remove("docs/f\(round - 2).txt") }
            _ = try build(dir, roots: [root], options: options)
            let reader = try IndexReader.open(directory: dir.path + "/index")
            #expect(reader.segments.count <= options.maxSegments)
            #expect(reader.documentCount == min(round + 1, 2))
            try reader.verify()
        }
        // Files of older commits are gone.
        let files = try FileSystem.list(dir.path + "/index").filter { $0.hasSuffix(".seg") }
        let reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(Set(files) == Set(reader.manifest.segments.map(\.fileName)))
    }

    /// The merge encodes parts of the dictionary on several threads: the result must not
    /// depend on how many, and must hold exactly what the inputs held.
    @Test func parallelMergeIsByteIdenticalWhateverTheThreadCount() throws {
        let dir = TemporaryDirectory()
        var options = IndexOptions()
        options.maxSegments = 100
        options.workers = 1
        let root = dir.path + "/docs"
        for round in 0..<4 {
            for k in 0..<40 {
                // Twenty ideographs of their own give each document new bigrams: thousands of
                // terms, so the merged dictionary is cut into many parts.
                let own = String(String.UnicodeScalarView((0..<20).map { Unicode.Scalar(0x4E00 + UInt32((round * 40 + k) * 20 + $0) * 7 % 6000)! }))
                dir.write("docs/r\(round)_\(k).txt", own + String(repeating: "第\(round * 40 + k)條 工業園區復工復產，有序推進。", count: 1 + k % 5))
            }
            _ = try build(dir, roots: [root], options: options)
        }
        dir.remove("docs/r1_3.txt")
        _ = try build(dir, roots: [root], options: options)
        let reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.segments.count >= 4)
        var images: [[UInt8]] = []
        for workers in [1, 2, 5] {
            let entry = try #require(try SegmentMerger.merge(reader.segments, name: "m\(workers)", directory: dir.path, workers: workers))
            #expect(entry.docCount == reader.documentCount)
            images.append(try FileSystem.read(dir.path + "/" + entry.fileName))
        }
        #expect(images[0] == images[1] && images[1] == images[2])
        let merged = try SegmentReader(path: dir.path + "/m2.seg", name: "m2.seg", verifyChecksum: true)
        // Every term some live document holds, and no other (r1_3's own bigrams are gone).
        var live = Set<[UInt8]>()
        for view in reader.segments {
            var terms = try view.reader.terms()
            while try terms.next() {
                var postings = try view.reader.postings(at: terms.location)
                while try postings.next() {
                    guard !view.isDeleted(postings.doc) else { continue }
                    live.insert(terms.term)
                    break
                }
            }
        }
        #expect(merged.termCount == live.count)
        #expect(try merged.lookup(Array("工業".utf8)) == nil && merged.lookup(Array("工业".utf8)) != nil)
    }

    /// Inputs without deleted documents are copied a stored block at a time, positions as
    /// stored: documents, frequencies and positions must come out as the inputs held them,
    /// and the merged skip entries must let a cursor that jumps to any document read its
    /// positions (their offsets are found by counting varint ends, not by decoding).
    @Test func blockCopiedPostingsKeepDocumentsFrequenciesAndPositions() throws {
        let dir = TemporaryDirectory()
        var options = IndexOptions()
        options.maxSegments = 100
        options.workers = 1
        for round in 0..<3 {
            for k in 0..<150 {
                // Lists of 128 documents and more in every input (skip entries), frequencies
                // from 1 to 5, and long positions (a varying prefix) of two or more bytes.
                let prefix = String(repeating: "一二三四五六七八九十", count: (k * 13 + round) % 40)
                dir.write("docs/r\(round)_\(k).txt", prefix + String(repeating: "復工復產，", count: 1 + (k * 7 + round) % 5) + "第\(k)條" + String(repeating: "園區", count: k % 3))
            }
            _ = try build(dir, roots: [dir.path + "/docs"], options: options)
        }
        let reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.segments.count == 3)
        typealias Posting = (doc: Int, freq: Int, positions: [Int32])
        var expected: [[UInt8]: [Posting]] = [:]
        var base = 0
        for view in reader.segments {
            var terms = try view.reader.terms()
            while try terms.next() {
                var postings = try view.reader.postings(at: terms.location)
                while try postings.next() {
                    expected[terms.term, default: []].append((base + postings.doc, postings.freq, postings.hasPositions ? try postings.positions() : []))
                }
            }
            base += view.reader.docCount
        }
        let entry = try #require(try SegmentMerger.merge(reader.segments, name: "m", directory: dir.path, workers: 2))
        let merged = try SegmentReader(path: dir.path + "/" + entry.fileName, name: entry.fileName, verifyChecksum: true)
        #expect(merged.termCount == expected.count)
        var longLists = 0
        var terms = try merged.terms()
        while try terms.next() {
            let want = try #require(expected[terms.term])
            var postings = try merged.postings(at: terms.location)
            var got: [Posting] = []
            while try postings.next() {
                got.append((postings.doc, postings.freq, postings.hasPositions ? try postings.positions() : []))
            }
            #expect(got.map(\.doc) == want.map(\.doc) && got.map(\.freq) == want.map(\.freq) && got.map(\.positions) == want.map(\.positions))
            guard terms.location.hasPositions, want.count >= 256 else { continue }
            longLists += 1
            for target in stride(from: 0, to: want.count, by: 37) {
                var jumping = try merged.postings(at: terms.location)
                #expect(try jumping.advance(to: want[target].doc) && jumping.doc == want[target].doc)
                #expect(try jumping.positions() == want[target].positions)
            }
        }
        #expect(longLists >= 4)
    }

    @Test func secondWriterIsRefusedWhileOneHoldsTheLock() throws {
        let dir = TemporaryDirectory()
        let first = try IndexWriter(directory: dir.path + "/index")
        #expect(throws: WriteLock.Failure.self) { _ = try IndexWriter(directory: dir.path + "/index") }
        _ = first
    }

    @Test func leftoversOfAKilledWriterAreRemovedAndTheOldCommitSurvives() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "復工復產")
        _ = try build(dir, roots: [dir.path + "/docs"])
        // What a writer killed before its commit leaves behind.
        dir.write("index/seg_99.seg", "partial")
        dir.write("index/MANIFEST.tmp", "partial")
        let before = try IndexReader.open(directory: dir.path + "/index")
        #expect(before.documentCount == 1)
        dir.write("docs/b.txt", "园区")
        _ = try build(dir, roots: [dir.path + "/docs"])
        let names = try FileSystem.list(dir.path + "/index")
        #expect(!names.contains("seg_99.seg"))
        #expect(!names.contains("MANIFEST.tmp"))
        #expect(try IndexReader.open(directory: dir.path + "/index").documentCount == 2)
    }
}

@Suite struct CorruptionTests {
    @Test func flippedBytesInTheManifestAreDetected() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "復工復產")
        _ = try build(dir, roots: [dir.path + "/docs"])
        try expectEveryFlipDetectedOnOpen(dir.path + "/index/MANIFEST", index: dir.path + "/index")
    }

    /// Flips each byte of `path` in turn: opening the index must report the damage.
    func expectEveryFlipDetectedOnOpen(_ path: String, index: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let original = try FileSystem.read(path)
        for offset in 0..<original.count {
            var bytes = original
            bytes[offset] ^= 0x44
            try FileSystem.writeAndSync(path, bytes)
            #expect(throws: CorruptIndexError.self, sourceLocation: sourceLocation) { _ = try IndexReader.open(directory: index) }
        }
    }

    @Test func flippedBytesInADeletionFileAreDetected() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "復工復產")
        dir.write("docs/b.txt", "園區")
        var options = IndexOptions()
        options.workers = 1
        _ = try build(dir, roots: [dir.path + "/docs"], options: options)
        dir.remove("docs/b.txt")
        _ = try build(dir, roots: [dir.path + "/docs"], options: options)
        let reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.documentCount == 1)
        let name = try #require(reader.manifest.segments.compactMap(\.deletionFileName).first)
        try expectEveryFlipDetectedOnOpen(dir.path + "/index/" + name, index: dir.path + "/index")
    }

    @Test func flippedBytesInASegmentFailVerification() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "復工復產 園區 2020年")
        _ = try build(dir, roots: [dir.path + "/docs"])
        let reader = try IndexReader.open(directory: dir.path + "/index")
        let path = dir.path + "/index/" + reader.segments[0].entry.fileName
        let original = try FileSystem.read(path)
        for offset in stride(from: 0, to: original.count, by: 7) {
            var bytes = original
            bytes[offset] ^= 0x01
            try FileSystem.writeAndSync(path, bytes)
            #expect(throws: CorruptIndexError.self) {
                let r = try IndexReader.open(directory: dir.path + "/index")
                try r.verify()
            }
        }
    }
}

@Suite struct PostingsFormatTests {
    /// Synthetic postings of many lengths (around the 128-document block size), encoded,
    /// read back sequentially, with `advance(to:)`, and with positions after jumps.
    @Test(arguments: [1, 2, 127, 128, 129, 255, 256, 300, 1000])
    func roundTripsAcrossBlockBoundaries(docFreq: Int) throws {
        var rng = SystemRandomNumberGenerator()
        let docCount = docFreq * 3 + 5
        var encoder = SegmentEncoder()
        for d in 0..<docCount {
            encoder.addDocument(DocumentRecord(file: "/f\(d)", collectionID: "", docID: "f\(d)", title: "", format: .plain,
                                               fileSize: 0, modified: 0, contentHash: 0, sourceOffset: 0, sourceLength: 0,
                                               length: UInt32.random(in: 1...500, using: &rng)))
        }
        let docs = Array((0..<docCount).shuffled(using: &rng).prefix(docFreq)).sorted()
        let positions: [[Int32]] = docs.map { _ in
            var p: Int32 = -1
            return (0..<Int.random(in: 1...(Bool.random(using: &rng) ? 1 : 40), using: &rng)).map { _ in
                p += Int32.random(in: 1...300, using: &rng)
                return p
            }
        }
        for term in ["ab", "abc"] {
            encoder.addTerm(Array(term.utf8), zip(docs, positions).map { ($0, $1) })
        }
        let dir = TemporaryDirectory()
        try FileSystem.writeAndSync(dir.path + "/t.seg", encoder.finish())
        let segment = try SegmentReader(path: dir.path + "/t.seg", name: "t.seg", verifyChecksum: true)
        try segment.verify(path: dir.path + "/t.seg")
        for (ordinal, withPositions) in [(0, true), (1, false)] {
            var cursor = try segment.postings(ordinal)
            #expect(cursor.docFreq == docFreq)
            #expect(cursor.hasPositions == withPositions)
            var k = 0
            while try cursor.next() {
                #expect(cursor.doc == docs[k])
                #expect(cursor.freq == positions[k].count)
                // Read positions of every third document only: the others are skipped.
                if withPositions && k % 3 == 0 { #expect(try cursor.positions() == positions[k]) }
                k += 1
            }
            #expect(k == docFreq)
        }
        // advance(to:) to random increasing targets, then positions.
        for _ in 0..<20 {
            var cursor = try segment.postings(0)
            var target = 0
            while true {
                target += Int.random(in: 1...max(1, docCount / 8), using: &rng)
                let expected = docs.firstIndex { $0 >= target }
                let found = try cursor.advance(to: target)
                #expect(found == (expected != nil))
                guard let e = expected else { break }
                #expect(cursor.doc == docs[e])
                if Bool.random(using: &rng) { #expect(try cursor.positions() == positions[e]) }
            }
        }
    }
}

@Suite struct TermDictionaryTests {
    /// A segment of `terms` (sorted, distinct): term i in docFreqs[i] documents (every
    /// seventh, from 0), with 1 to 5 positions each.
    func segment(_ terms: [[UInt8]], docFreqs: [Int], in dir: TemporaryDirectory) throws -> SegmentReader {
        let docCount = 7 * (docFreqs.max() ?? 1)
        var encoder = SegmentEncoder()
        for d in 0..<docCount {
            encoder.addDocument(DocumentRecord(file: "/f\(d)", collectionID: "", docID: "f\(d)", title: "", format: .plain,
                                               fileSize: 0, modified: 0, contentHash: 0, sourceOffset: 0, sourceLength: 0, length: 50))
        }
        for (term, df) in zip(terms, docFreqs) {
            encoder.addTerm(term, (0..<df).map { d in (7 * d, (0...(d % 5)).map { Int32($0 * 300 + d % 7) }) })
        }
        try FileSystem.writeAndSync(dir.path + "/t.seg", encoder.finish())
        return try SegmentReader(path: dir.path + "/t.seg", name: "t.seg")
    }

    /// Terms that share long prefixes, cross many blocks, and include bigrams, words,
    /// character-count terms, one-byte terms and terms longer than a one-byte varint.
    func sampleTerms() -> [[UInt8]] {
        var rng = SeededGenerator(seed: 7)
        var set = Set<[UInt8]>()
        let han = Array("复工产园区经济技术开发东川业率达到的一国家法律规定第条")
        for _ in 0..<700 {
            let n = Int.random(in: 1...5, using: &rng)
            set.insert(Array(String((0..<n).map { _ in han.randomElement(using: &rng)! }).utf8))
        }
        for _ in 0..<60 { set.insert([SegmentLayout.characterCountPrefix] + Array(String(han.randomElement(using: &rng)!).utf8)) }
        for n in [1, 2, 7, 8, 9, 127, 128, 129, 300] { set.insert(Array(repeating: UInt8(ascii: "a"), count: n)) }
        for _ in 0..<100 { set.insert(Array("law\(Int.random(in: 0..<1000, using: &rng))".utf8)) }
        return set.sorted { $0.lexicographicallyPrecedes($1) }
    }

    @Test func lookupsPrefixesAndOrdinalsAgreeWithASortedList() throws {
        let terms = sampleTerms()
        var rng = SeededGenerator(seed: 11)
        // Mostly one document; some terms long enough to carry their own checksum.
        let docFreqs = terms.map { _ in Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 200...700, using: &rng) : 1 }
        let dir = TemporaryDirectory()
        let segment = try segment(terms, docFreqs: docFreqs, in: dir)
        #expect(segment.termCount == terms.count)
        try segment.verify(path: dir.path + "/t.seg")
        var ownChecksums = 0
        for (i, term) in terms.enumerated() {
            #expect(try segment.lookup(term) == i)
            #expect(try segment.termBytes(i) == term)
            let location = try segment.location(i)
            #expect(location.hasPositions == SegmentLayout.hasPositions(term))
            if location.length >= SegmentLayout.ownChecksumThreshold { ownChecksums += 1 }
            var cursor = try segment.postings(at: location)
            #expect(cursor.docFreq == docFreqs[i])
            #expect(try cursor.next() && cursor.doc == 0)
        }
        #expect(ownChecksums > 10 && ownChecksums < terms.count / 4)
        // Keys that are not terms: extended, cut short, last byte changed.
        var keys: [[UInt8]] = [[], [0], [0xFF, 0xFF]]
        for term in terms.prefix(400) {
            keys.append(term + [0x80])
            keys.append(Array(term.dropLast()))
            keys.append(Array(term.dropLast()) + [term.last! &+ 1])
        }
        for key in keys {
            let expected = terms.firstIndex { !$0.lexicographicallyPrecedes(key) } ?? terms.count
            #expect(try key.withUnsafeBytes { try segment.lowerBound($0) } == expected, "key \(key)")
            #expect(try segment.lookup(key) == (expected < terms.count && terms[expected] == key ? expected : nil))
        }
        for prefix in [Array("复".utf8), Array("复工".utf8), Array("law1".utf8), [UInt8(ascii: "a")], [SegmentLayout.characterCountPrefix], Array("无".utf8)] {
            let expected = terms.indices.filter { terms[$0].starts(with: prefix) }
            #expect(Array(try segment.terms(withPrefix: prefix)) == expected)
        }
        // A character and the bigrams it begins: the term itself, or it and one more character.
        for character in "复工产园区的一国无a".map({ Array(String($0).utf8) }) {
            let expected = terms.indices.filter { t in
                guard terms[t].starts(with: character) else { return false }
                let rest = String(decoding: terms[t].dropFirst(character.count), as: UTF8.self)
                return rest.unicodeScalars.count <= 1
            }
            #expect(try segment.characterAndBigrams(character).map(\.ordinal) == expected, "\(String(decoding: character, as: UTF8.self))")
        }
    }

    /// Short postings are checked a dictionary block at a time, long ones on their own:
    /// either way a flipped byte fails the query that reads them.
    @Test func damagedPostingsFailTheQueryThatReadsThem() throws {
        let terms = sampleTerms()
        let docFreqs = terms.indices.map { $0 % 9 == 0 ? 400 : 2 }
        let dir = TemporaryDirectory()
        _ = try segment(terms, docFreqs: docFreqs, in: dir)
        let original = try FileSystem.read(dir.path + "/t.seg")
        // Terms with positions (where the last byte is a position), short and long postings.
        let positional = terms.indices.filter { SegmentLayout.hasPositions(terms[$0]) }
        let picked = positional.filter { $0 % 9 == 0 }.prefix(3) + positional.filter { $0 % 9 != 0 }.prefix(5)
        #expect(picked.count == 8)
        for ordinal in picked {
            let location = try SegmentReader(path: dir.path + "/t.seg", name: "t.seg").location(ordinal)
            var bytes = original
            // The last byte (a position, or a document gap): changing its low bit still
            // decodes, so only a checksum can tell.
            bytes[location.start + location.length - 1] ^= 0x01
            try FileSystem.writeAndSync(dir.path + "/d.seg", bytes)
            let damaged = try SegmentReader(path: dir.path + "/d.seg", name: "d.seg")
            #expect(throws: CorruptIndexError.self, "term \(ordinal)") {
                var cursor = try damaged.postings(ordinal)
                while try cursor.next() { _ = try cursor.positions() }
            }
            // A neighbour in another block still reads.
            let other = (ordinal + SegmentLayout.termBlockSize) % terms.count
            var cursor = try damaged.postings(other)
            #expect(try cursor.next())
        }
    }

    /// An index written in an older format is reported as such (not as damage), and the
    /// next `search index` rebuilds it.
    @Test func anOlderFormatIsRebuilt() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "復工復產")
        _ = try build(dir, roots: [dir.path + "/docs"])
        let name = try IndexReader.open(directory: dir.path + "/index").segments[0].entry.fileName
        var bytes = try FileSystem.read(dir.path + "/index/" + name)
        bytes[8] = 1  // the header's format version
        try FileSystem.writeAndSync(dir.path + "/index/" + name, bytes)
        #expect(throws: OutdatedIndexError.self) { _ = try IndexReader.open(directory: dir.path + "/index") }
        let writer = try IndexWriter(directory: dir.path + "/index")
        #expect(writer.outdatedFormat == 1)
        let report = try writer.update(roots: [DocumentSource.absolutePath(dir.path + "/docs")!])
        #expect(report.added == 1)
        let reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.documentCount == 1)
        #expect(try reader.segments[0].reader.lookup(Array("复工".utf8)) != nil)
    }
}

@Suite struct DocumentRecordTests {
    /// Records keep every field through a segment, whatever their paths and DOCIDs: a folder's
    /// path is stored once, a DOCID that ends the path as its length.
    @Test func recordsRoundTripThroughASegment() throws {
        func record(_ file: String, _ collectionID: String, _ docID: String, encoding: String = "UTF-8") -> DocumentRecord {
            var r = DocumentRecord(file: file, collectionID: collectionID, docID: docID, title: "标题 \(docID)", format: collectionID.isEmpty ? .plain : .jsonLine,
                                   fileSize: 1234, modified: 1_700_000_000_123_456_789, contentHash: 0xDEAD_BEEF, sourceOffset: 7,
                                   sourceLength: 99, length: 42, encoding: encoding)
            r.date = "2020-03-05"
            r.docNumber = "國發〔2020〕5號"
            return r
        }
        let records = [
            record("/data/laws/a.txt", "", "a.txt"),
            record("/data/laws/sub/b.md", "", "sub/b.md"),
            record("/data/laws/sub/c.md", "", "elsewhere.md", encoding: "GB18030"),
            record("/data/laws/sub/d.md", "", ""),
            record("/data/laws/sub/d.md", "", "/data/laws/sub/d.md"),
            record("/data/coll.jsonl", "d000001", "d000001"),
            record("/data/coll.jsonl", "d2", "other"),
            record("/文件/政策.md", "", "政策.md", encoding: "Big5"),
            record("/x", "", "x"),
            record("relative.txt", "", "relative.txt"),
            record("/data/laws/", "", ""),
        ]
        var encoder = SegmentEncoder()
        for r in records { encoder.addDocument(r) }
        let dir = TemporaryDirectory()
        try FileSystem.writeAndSync(dir.path + "/r.seg", encoder.finish())
        let segment = try SegmentReader(path: dir.path + "/r.seg", name: "r.seg", verifyChecksum: true)
        for (i, r) in records.enumerated() { #expect(try segment.document(i) == r, "record \(i)") }
        try segment.verify(path: dir.path + "/r.seg")
    }
}

@Suite struct ArticleCountTests {
    /// A document titled as an article of a law adds one posting to its law's count term;
    /// a removed one's posting is deleted with it, and merges keep the rest.
    @Test func lawsCountTheirArticles() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "甲法第一条\n内容一")
        dir.write("docs/b.txt", "甲法第二条之一\n内容二")
        dir.write("docs/c.txt", "乙條例第 3 條\n內容三")
        dir.write("docs/d.txt", "政府工作报告\n内容四")
        _ = try build(dir, roots: [dir.path + "/docs"])
        func count(_ law: String) throws -> Int {
            let reader = try IndexReader.open(directory: dir.path + "/index")
            var live = 0
            for view in reader.segments {
                guard let location = try view.reader.location(of: ArticleTitle.countTerm(law: law)) else { continue }
                var postings = try view.reader.postings(at: location)
                #expect(!postings.hasPositions)
                while try postings.next() {
                    guard !view.isDeleted(postings.doc) else { continue }
                    #expect(ArticleTitle.lawName(try view.reader.document(postings.doc).title) == law)
                    live += 1
                }
            }
            return live
        }
        #expect(try count("甲法") == 2)
        #expect(try count("乙條例") == 1)
        #expect(try count("政府工作报告") == 0)
        dir.remove("docs/b.txt")
        _ = try build(dir, roots: [dir.path + "/docs"])
        #expect(try count("甲法") == 1)
        var options = IndexOptions()
        options.maxSegments = 1
        dir.write("docs/e.txt", "甲法第三条\n内容五")
        _ = try build(dir, roots: [dir.path + "/docs"], options: options)
        #expect(try IndexReader.open(directory: dir.path + "/index").segments.count == 1)
        #expect(try count("甲法") == 2)
    }
}

@Suite struct TextChunkerTests {
    @Test func piecesCoverTheTextAndCutCleanly() {
        let text = Array((String(repeating: "經濟社會發展，", count: 3000) + "\n" + String(repeating: "復(fù)工", count: 5000)).utf8)
        let pieces = text.withUnsafeBufferPointer { TextChunker.chunks($0, maxBytes: 10_000) }
        #expect(pieces.first?.lowerBound == 0)
        #expect(pieces.last?.upperBound == text.count)
        for (a, b) in zip(pieces, pieces.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        for piece in pieces {
            #expect(piece.count <= 10_000)
            // Never inside a UTF-8 sequence, never just after an opening parenthesis.
            if piece.upperBound < text.count {
                #expect(text[piece.upperBound] & 0xC0 != 0x80)
                #expect(text[piece.upperBound - 1] != UInt8(ascii: "("))
            }
        }
    }
}

@Suite struct BadInputTests {
    /// A corpus of awkward files: everything else is indexed, nothing crashes.
    @Test func awkwardFilesAreReportedOrSkipped() throws {
        let dir = TemporaryDirectory()
        let root = dir.path + "/docs"
        dir.write("docs/normal.txt", "復工復產")
        dir.write("docs/invalid.txt", bytes: [0xE5, 0xBE, 0xA9, 0xFF, 0xFE] + Array("工業園區".utf8))
        dir.write("docs/binary.txt", bytes: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        dir.write("docs/nul.md", bytes: Array("黨建".utf8) + [0, 0, 0] + Array("工作".utf8))
        dir.write("docs/empty.txt", "")
        dir.write("docs/name with spaces.txt", "非公企業")
        dir.write("docs/new\nline.txt", "疫情防控")
        // A long run of Han characters without punctuation (3 pieces), and one long line.
        var run = ""
        let han = Array("經濟社會發展改革開放科學技術人民政府")
        for i in 0..<400_000 { run.append(han[(i * 7 + i / 3) % han.count]) }
        dir.write("docs/run.txt", run + "尾部標記")
        dir.write("docs/line.txt", String(repeating: "a1 ", count: 1_000_000) + "結尾")
        var nested = "docs"
        for i in 0..<60 { nested += "/d\(i)" }
        dir.write(nested + "/deep.txt", "深層目錄")
        symlink(root, root + "/loop")
        // A name that is not UTF-8.
        _ = (root + "/bad-").withCString { prefix in
            var name = Array(UnsafeBufferPointer(start: prefix, count: strlen(prefix)))
            name += [CChar(bitPattern: 0xFF), 0x2E, 0x74, 0x78, 0x74, 0]
            let fd = open(name, O_CREAT | O_WRONLY, 0o644)
            _ = write(fd, "名稱", 6)
            close(fd)
        }
        let report = try build(dir, roots: [root])
        #expect(report.invalidUTF8Documents.contains { $0.hasSuffix("invalid.txt") })
        #expect(report.invalidUTF8Documents.contains { $0.hasSuffix("binary.txt") })
        let reader = try IndexReader.open(directory: dir.path + "/index")
        try reader.verify()
        let names = try paths(reader).map { $0.components(separatedBy: "/").last! }
        for expected in ["normal.txt", "invalid.txt", "nul.md", "empty.txt", "name with spaces.txt", "new\nline.txt", "run.txt", "line.txt", "deep.txt"] {
            #expect(names.contains(expected), "\(expected)")
        }
        #expect(names.filter { $0 == "normal.txt" }.count == 1)  // the symlink loop is not followed twice
        // The end of the long run and of the long line are found.
        let segment = reader.segments
        var found = 0
        for view in segment {
            for term in ["尾部", "标记", "结尾"] where try view.reader.lookup(Array(term.utf8)) != nil { found += 1 }
        }
        #expect(found >= 3)
    }
}

@Suite struct VanishingFileTests {
    /// A file deleted after the walk and before it is read is reported, the rest indexed.
    @Test func aFileThatVanishesDuringIndexingIsReported() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "復工復產")
        dir.write("docs/b.txt", "園區")
        dir.write("docs/c.txt", "黨建")
        var options = IndexOptions()
        options.workers = 1
        let writer = try IndexWriter(directory: dir.path + "/index", options: options)
        let victim = dir.path + "/docs/b.txt"
        let report = try writer.update(roots: [DocumentSource.absolutePath(dir.path + "/docs")!]) { progress in
            if progress.filesDone == 1 { try? FileManager.default.removeItem(atPath: victim) }
        }
        #expect(report.unreadable.map { $0.components(separatedBy: "/").last! } == ["b.txt"])
        #expect(report.added == 2)
        #expect(try IndexReader.open(directory: dir.path + "/index").documentCount == 2)
    }
}

@Suite struct MergeBoundsTests {
    @Test func anUpdatesSegmentsBecomeOneUnlessTooLargeToMergeInMemory() throws {
        for (maxMergeBytes, expected) in [(384 << 20, 1), (1, 4)] {
            let dir = TemporaryDirectory()
            for i in 0..<4 { dir.write("docs/f\(i).txt", "第\(i)號 工業園區 復工復產") }
            var options = IndexOptions()
            options.workers = 1
            options.flushBytes = 1  // a segment per file
            options.maxMergeBytes = maxMergeBytes
            let report = try build(dir, roots: [dir.path + "/docs"], options: options)
            #expect(report.segmentsWritten == 4)
            let reader = try IndexReader.open(directory: dir.path + "/index")
            #expect(reader.segments.count == expected)
            #expect(reader.documentCount == 4)
            try reader.verify()
        }
    }
}

@Suite struct UserDictionaryIndexTests {
    func wordTerms(_ reader: IndexReader) throws -> Set<String> {
        var terms = Set<String>()
        for view in reader.segments {
            for term in ["复工复产", "非公企业"] where try view.reader.lookup(Array(term.utf8)) != nil { terms.insert(term) }
        }
        return terms
    }

    @Test func changingTheDictionaryRebuildsAndQueriesUseTheIndexCopy() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "有序推動復工復產，園區非公企業黨組織")
        dir.write("docs/b.txt", "复工复产率达到百分之百")
        var report = try build(dir, roots: [dir.path + "/docs"])
        #expect(report.added == 2)
        var reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.dictionary == nil)
        #expect(try wordTerms(reader).isEmpty)

        // A dictionary appears: the next update re-analyses everything.
        dir.write("index/dictionary.txt", "復工復產\n非公企業\n")
        func update() throws -> (UpdateReport, (old: Int, new: Int)?) {
            let writer = try IndexWriter(directory: dir.path + "/index")
            return (try writer.update(roots: [dir.path + "/docs"]), writer.dictionaryChange)
        }
        var change: (old: Int, new: Int)?
        (report, change) = try update()
        #expect(change?.old == 0 && change?.new == 2)
        #expect(report.added == 2 && report.committed)
        reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.dictionary?.words.count == 2)
        #expect(try wordTerms(reader) == ["复工复产", "非公企业"])
        #expect(!DictionaryFile.sourceChanged(directory: dir.path + "/index", manifest: reader.manifest))

        // A comment changes the file but not its words: nothing is re-analysed.
        dir.write("index/dictionary.txt", "# policy words\n復工復產\n非公企業\n")
        #expect(DictionaryFile.sourceChanged(directory: dir.path + "/index", manifest: reader.manifest))
        (report, change) = try update()
        #expect(change == nil)
        #expect(report.unchanged == 2 && report.added == 0 && report.committed)
        reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(!DictionaryFile.sourceChanged(directory: dir.path + "/index", manifest: reader.manifest))

        // Until the next update, queries keep cutting with the words the index was built with.
        dir.write("index/dictionary.txt", "")
        #expect(try IndexReader.open(directory: dir.path + "/index").dictionary?.words.count == 2)
        (report, change) = try update()
        #expect(change?.new == 0 && report.added == 2)
        reader = try IndexReader.open(directory: dir.path + "/index")
        #expect(reader.dictionary == nil && reader.manifest.dictionaryFile.isEmpty)
        #expect(try wordTerms(reader).isEmpty)
        #expect(!(try FileSystem.list(dir.path + "/index")).contains { $0.hasSuffix(".dic") })
    }

    @Test func anExplicitDictionaryIsRememberedAndAMissingOneIsAnError() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "有序推動復工復產")
        dir.write("words.txt", "复工复产\n")
        var options = IndexOptions()
        options.dictionarySource = dir.path + "/words.txt"
        _ = try build(dir, roots: [dir.path + "/docs"], options: options)
        // A later update without --dict keeps using it.
        do {
            let writer = try IndexWriter(directory: dir.path + "/index")
            #expect(writer.dictionary?.words.count == 1 && writer.dictionaryChange == nil)
        }
        options.dictionarySource = dir.path + "/missing.txt"
        #expect(throws: IndexError.self) { try IndexWriter(directory: dir.path + "/index", options: options) }
    }

    @Test func manifestsWithoutDictionaryFieldsStillRead() throws {
        var manifest = Manifest()
        manifest.generation = 7
        manifest.roots = ["/docs"]
        var bytes = manifest.encode()
        // Drop the three dictionary fields (2 empty strings, a u64) and re-wrap: the old layout.
        let body = Array(bytes[FileEnvelope.headerSize..<(bytes.count - FileEnvelope.footerSize - 10)])
        bytes = FileEnvelope.wrap(kind: Manifest.kind, body: body)
        let decoded = try Manifest.decode(bytes)
        #expect(decoded.generation == 7 && decoded.roots == ["/docs"] && decoded.dictionaryFile.isEmpty)
    }
}

@Suite struct DocumentTitleTests {
    /// A plain text's title: its first Markdown heading, else its first non-empty line, with
    /// white space of every kind (ideographic spaces too) trimmed.
    @Test func headingsAndFirstLines() {
        let cases: [(String, String)] = [
            ("# 標題\n正文", "標題"),
            ("\n\n  \u{3000}第一行\u{3000}\n第二行", "第一行"),
            ("開頭\n## 小標題\n", "小標題"),  // a heading anywhere in the first 200 lines wins
            ("#\n###   \n正文", "正文"),  // empty headings are not titles
            ("\u{00A0}\u{2003}\n\t 甲 \n", "甲"),
            ("\u{3000}# 全角空格後的標題\n", "全角空格後的標題"),
            ("", ""),
            (" \n\t\n", ""),
        ]
        for (text, title) in cases {
            #expect(DocumentSource.title(of: Array(text.utf8)) == title, "\(text.debugDescription)")
        }
        // Invalid bytes read as U+FFFD, as String does; a long line is clipped.
        #expect(DocumentSource.title(of: [0xFF, 0x41, 0x0A]) == "\u{FFFD}A")
        #expect(DocumentSource.title(of: Array(String(repeating: "長", count: 130).utf8)) == String(repeating: "長", count: 120) + "…")
        // Past the 200th line no heading is looked for.
        #expect(DocumentSource.title(of: Array((String(repeating: "\n", count: 200) + "# 太遠").utf8)) == "")
    }
}

@Suite struct SegmentBuilderTests {
    /// A recycled image is encoded into again rather than copied (a copy faulted in every page
    /// of each flush afresh), and the segments written that way read back whole.
    @Test func recycledImageStorageIsReused() throws {
        let analyzer = try Analyzer.forIndexing()
        var builder = SegmentBuilder(expectedMemory: 1 << 16)
        func record(_ name: String) -> DocumentRecord {
            DocumentRecord(file: "/" + name, collectionID: "", docID: name, title: "", format: .plain,
                           fileSize: 1, modified: 0, contentHash: 0, sourceOffset: 0, sourceLength: 1, length: 0, encoding: "UTF-8")
        }
        let dir = TemporaryDirectory()
        var addresses: [UnsafeRawPointer?] = []
        for (k, text) in ["复工复产，稳就业保民生。", "黨建引領基層治理", "复工复产"].enumerated() {
            builder.add(analyzer.analyze(text), record: record("d\(k).txt"))
            let image = builder.encodeAndEmpty()
            addresses.append(image.withUnsafeBytes { $0.baseAddress })
            try FileSystem.writeAndSync(dir.path + "/s\(k).seg", image)
            builder.recycle(consume image)
            let segment = try SegmentReader(path: dir.path + "/s\(k).seg", name: "s\(k).seg", verifyChecksum: true)
            try segment.verify(path: dir.path + "/s\(k).seg")
            #expect(segment.docCount == 1)
            #expect(try segment.lookup(Array((k == 1 ? "党建" : "复工").utf8)) != nil)
            #expect(try segment.lookup(Array((k == 1 ? "复工" : "党建").utf8)) == nil)
        }
        #expect(addresses[1] == addresses[0])
        #expect(addresses[2] == addresses[0])
    }

    /// The index's analyzer leaves its tokens unsorted (subwords, then words); a segment built
    /// from them is byte for byte the one built from sorted tokens, whole or cut short by the
    /// per-document limit, which keeps the tokens of the first positions either way.
    @Test func unsortedTokensBuildTheSameSegment() throws {
        let unsorted = try Analyzer.forIndexing(dictionary: UserDictionary.parse(Array("复工复产\n黨建引領\n".utf8), normalizer: Normalizer()))
        let sorted = try Analyzer(dictionary: UserDictionary.parse(Array("复工复产\n黨建引領\n".utf8), normalizer: Normalizer()), script: .own,
                                  keepsOriginalOffsets: false, findsHanWords: false, sortsTokens: true)
        #expect(!unsorted.sortsTokens)
        let texts = ["复工复产 covid-19 pm2.5 第2020号，黨建引領 abc123 基层治理 xyz 复工复产。", "纯中文文本没有字母", "only latin words here 12345"]
        func record(_ k: Int) -> DocumentRecord {
            DocumentRecord(file: "/d\(k)", collectionID: "", docID: "d\(k)", title: "", format: .plain,
                           fileSize: 1, modified: 0, contentHash: 0, sourceOffset: 0, sourceLength: 1, length: 0, encoding: "UTF-8")
        }
        for limit in [SegmentBuilder.maxTokensPerDocument, 5, 12, 20] {
            var images: [[UInt8]] = []
            for analyzer in [unsorted, sorted] {
                var builder = SegmentBuilder()
                builder.tokenLimit = limit
                for (k, text) in texts.enumerated() { builder.add(analyzer.analyze(text), record: record(k)) }
                images.append(builder.encodeAndEmpty())
            }
            let same = images[0] == images[1]
            #expect(same, "token limit \(limit)")
        }
        // The words are there to be kept or cut: the unsorted tokens do not start in position order.
        let tokens = unsorted.analyze(texts[0]).tokens
        #expect(tokens.map(\.position) != tokens.map(\.position).sorted())
    }
}

extension SegmentEncoder {
    /// Adds a term and its documents with their positions as a flush does, through
    /// `addOccurrences`: one occurrence a position, in document order, or for a term without
    /// positions one a document carrying the count.
    mutating func addTerm(_ term: [UInt8], _ postings: [(doc: Int, positions: [Int32])]) {
        beginTerm(term)
        let positional = SegmentLayout.hasPositions(term)
        let docs = postings.flatMap { Array(repeating: UInt32($0.doc), count: positional ? $0.positions.count : 1) }
        let positions = positional ? postings.flatMap(\.positions) : postings.map { Int32($0.positions.count) }
        docs.withUnsafeBufferPointer { d in positions.withUnsafeBufferPointer { p in addOccurrences(docs: d, positions: p) } }
        endTerm()
    }
}
