import Foundation
import Testing
import Analysis
@testable import Index
import TestSupport
import ZIPFoundation
import IndexFormat

@Suite struct DocumentFormatTests {
    static let big5Sentence: [UInt8] = [166, 85, 166, 97, 176, 207, 166, 179, 167, 199, 177, 192, 176, 202, 180, 95, 164, 117, 180, 95, 178, 163, 161, 65, 165, 91, 177, 106, 172, 204, 177, 161, 168, 190, 177, 177, 164, 117, 167, 64, 161, 65, 171, 79, 187, 217, 184, 103, 192, 217, 170, 192, 183, 124, 181, 111, 174, 105, 161, 67]
    static let gbSentence: [UInt8] = [184, 247, 181, 216, 199, 248, 211, 208, 208, 242, 205, 198, 182, 175, 184, 180, 185, 164, 184, 180, 178, 250, 163, 172, 188, 211, 199, 191, 210, 223, 199, 233, 183, 192, 191, 216, 185, 164, 215, 247, 163, 172, 177, 163, 213, 207, 190, 173, 188, 195, 201, 231, 187, 225, 183, 162, 213, 185, 161, 163]

    @Test func legacyChineseEncodingsAreDetectedAndConverted() {
        let big5 = EncodingDetector.decode(Array(repeating: Self.big5Sentence + [0x0A], count: 6).flatMap { $0 })
        #expect(big5.encoding == "Big5")
        #expect(String(decoding: big5.utf8, as: UTF8.self).hasPrefix("各地區有序推動復工復產"))
        let gb = EncodingDetector.decode(Array(repeating: Self.gbSentence + [0x0A], count: 6).flatMap { $0 })
        #expect(gb.encoding == "GB18030")
        #expect(String(decoding: gb.utf8, as: UTF8.self).hasPrefix("各地区有序推动复工复产"))
        let utf16 = EncodingDetector.decode([0xFF, 0xFE] + Array("復工復產".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(utf16.encoding == "UTF-16LE")
        #expect(utf16.utf8 == Array("復工復產".utf8))
        let utf8 = EncodingDetector.decode([0xEF, 0xBB, 0xBF] + Array("復工".utf8))
        #expect(utf8.encoding == "UTF-8")
        #expect(utf8.utf8 == Array("復工".utf8))
    }

    @Test func htmlGivesItsVisibleTextAndTitle() {
        let page = """
        <!DOCTYPE html><html><head><title>關於&ldquo;復工復產&rdquo;的通知</title>
        <style>p { color: red }</style><script>var x = "<p>hidden</p>";</script></head>
        <body><h1>通知</h1><p>各地區&amp;各部門：<br>有序推動復工復產&#12290;&#x5DE5;業園區</p><!-- 註釋 --><div>a &lt; b</div></body></html>
        """
        let extracted = DocumentFormats.html(Array(page.utf8))
        let text = String(decoding: extracted.text, as: UTF8.self)
        #expect(extracted.title == "關於“復工復產”的通知")
        #expect(text.contains("各地區&各部門："))
        #expect(text.contains("有序推動復工復產。工業園區"))
        #expect(text.contains("a < b"))
        #expect(!text.contains("hidden"))
        #expect(!text.contains("color"))
        #expect(!text.contains("註釋"))
    }

    @Test func docxGivesItsBodyText() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/a.docx"
        try makeDocx(at: path, paragraphs: ["復工復產", "工業園區 &amp; 開發區"], title: "通知")
        let extracted = DocumentFormats.docx(path: path)
        #expect(extracted.problem == nil)
        #expect(String(decoding: extracted.text, as: UTF8.self) == "復工復產\n工業園區 & 開發區\n")
        #expect(extracted.title == "通知")
        #expect(DocumentFormats.docx(path: dir.write("bad.docx", "not a zip")).problem != nil)
    }

    @Test func pdfNeedsPdftotext() {
        let extracted = DocumentFormats.pdf(path: "/nonexistent.pdf")
        if DocumentFormats.pdftotext == nil {
            #expect(extracted.problem?.contains("pdftotext is not installed") == true)
        } else {
            #expect(extracted.problem == "pdftotext could not read it")
        }
    }

    /// Every format, indexed and found by its text; the encoding is recorded.
    @Test func allFormatsAreIndexedAndFound() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/page.html", "<html><head><title>園區通知</title></head><body><p>工業園區建設</p></body></html>")
        try makeDocx(at: dir.path + "/docs/report.docx", paragraphs: ["有序推動復工復產"], title: nil)
        dir.write("docs/big5.txt", bytes: Array(repeating: Self.big5Sentence + [0x0A], count: 6).flatMap { $0 })
        dir.write("docs/gb.txt", bytes: Array(repeating: Self.gbSentence + [0x0A], count: 6).flatMap { $0 })
        _ = try IndexWriter(directory: dir.path + "/index").update(roots: [DocumentSource.absolutePath(dir.path + "/docs")!])
        let reader = try IndexReader.open(directory: dir.path + "/index")
        var records: [String: DocumentRecord] = [:]
        try reader.forEachDocument { _, _, r in records[r.docID] = r }
        #expect(records["page.html"]?.title == "園區通知")
        #expect(records["page.html"]?.format == .html)
        #expect(records["report.docx"]?.format == .docx)
        #expect(records["big5.txt"]?.encoding == "Big5")
        #expect(records["gb.txt"]?.encoding == "GB18030")
        // Their text is in the index and comes back for snippets.
        for (docID, phrase) in [("page.html", "工业园区"), ("report.docx", "复工复产"), ("big5.txt", "复工复产"), ("gb.txt", "疫情防控")] {
            let record = try #require(records[docID])
            let text = try #require(DocumentSource.text(of: record))
            let normalized = text.withUnsafeBufferPointer { Normalizer().normalize($0) }.string
            #expect(normalized.contains(phrase), "\(docID)")
            var found = false
            for view in reader.segments where try view.reader.lookup(Array(phrase.prefix(2).utf8)) != nil { found = true }
            #expect(found, "\(docID)")
        }
    }
}

/// A minimal Word document: [Content_Types].xml, word/document.xml and docProps/core.xml.
func makeDocx(at path: String, paragraphs: [String], title: String?) throws {
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
    func add(_ name: String, _ text: String) throws {
        let data = Data(text.utf8)
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    try add("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>")
    let body = paragraphs.map { "<w:p><w:r><w:t xml:space=\"preserve\">\($0)</w:t></w:r></w:p>" }.joined()
    try add("word/document.xml", "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>\(body)</w:body></w:document>")
    if let title {
        try add("docProps/core.xml", "<?xml version=\"1.0\"?><cp:coreProperties xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>\(title)</dc:title></cp:coreProperties>")
    }
}

@Suite struct DocumentMetadataTests {
    @Test func datesInTheFormsOfficialDocumentsUse() {
        #expect(DocumentMetadata.date(in: "国务院关于……的通知\n2020年3月5日") == "2020-03-05")
        #expect(DocumentMetadata.date(in: "中華民國109年3月5日總統令修正公布") == "2020-03-05")
        #expect(DocumentMetadata.date(in: "民國98年12月30日") == "2009-12-30")
        #expect(DocumentMetadata.date(in: "二〇二〇年三月五日") == "2020-03-05")
        #expect(DocumentMetadata.date(in: "二〇二一年十二月二十三日发布") == "2021-12-23")
        #expect(DocumentMetadata.date(in: "发布日期：2020-03-05") == "2020-03-05")
        #expect(DocumentMetadata.date(in: "2019.11.02 印发") == "2019-11-02")
        #expect(DocumentMetadata.date(in: "第2020年13月5日") == nil)       // no month 13
        #expect(DocumentMetadata.date(in: "共有2020人参加") == nil)
        #expect(DocumentMetadata.date(in: "2020年3月") == nil)            // no day
        // The first date in the head wins over later ones.
        #expect(DocumentMetadata.date(in: "2021年1月2日通过\n……\n2020年5月6日") == "2021-01-02")
    }

    @Test func documentNumbers() {
        #expect(DocumentMetadata.documentNumber(in: "國務院文件 國發〔2020〕5號 關於") == "國發〔2020〕5號")
        #expect(DocumentMetadata.documentNumber(in: "国办发〔2021〕12号") == "国办发〔2021〕12号")
        #expect(DocumentMetadata.documentNumber(in: "财税[2019]第13号") == "财税[2019]第13号")
        #expect(DocumentMetadata.documentNumber(in: "（2020）年度报告") == nil)
        #expect(DocumentMetadata.documentNumber(in: "〔2020〕5號") == nil)  // no issuer
    }
}

@Suite struct CRC32Tests {
    /// The folded path (x86-64 with carry-less multiply) against the tables, for every length
    /// around its 64-byte minimum and 16-byte steps, unaligned starts and chained seeds; and
    /// both against the check value of the zlib polynomial.
    @Test func foldingAgreesWithTheTables() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { raw in
            for length in Array(0..<300) + [1000, 1023, 4096, 4097, 4990] {
                for start in [0, 1, 3, 8] {
                    let piece = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    #expect(CRC32.checksum(piece) == CRC32.checksumByTables(piece))
                    let seed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<start]))
                    #expect(CRC32.checksum(piece, seed: seed) == CRC32.checksumByTables(UnsafeRawBufferPointer(rebasing: raw[0..<(start + length)])))
                }
            }
        }
    }
}

@Suite struct VarintScanTests {
    /// Counting varint ends eight bytes at a time agrees with decoding, for streams of every
    /// length around the eight-byte step and values of one to five bytes.
    @Test func countsAndOffsetsAgreeWithDecoding() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<40 {
            var writer = ByteWriter()
            var ends: [Int] = []
            for _ in 0..<length {
                writer.varint(UInt64.random(in: 0...(1 << UInt64.random(in: 0...34, using: &generator)), using: &generator))
                ends.append(writer.count)
            }
            writer.bytes.withUnsafeBytes { raw in
                #expect(VarintScan.count(raw) == length)
                #expect(VarintScan.offset(after: 0, in: raw) == 0)
                for n in 1...max(1, length) where n <= length { #expect(VarintScan.offset(after: n, in: raw) == ends[n - 1]) }
                #expect(VarintScan.offset(after: length + 1, in: raw) == nil)
            }
        }
    }
}

@Suite struct VarintWriterTests {
    /// The branchless writer produces the bytes of `ByteWriter.varint` for every length: each
    /// power of two and its neighbours up to 2^32 − 1, and random values of every width.
    @Test func writesWhatByteWriterWrites() {
        var values: [UInt32] = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000, 0xFFF_FFFF, 0x1000_0000, .max]
        for bit in 0..<32 {
            let p = UInt32(1) << UInt32(bit)
            values += [p &- 1, p, p &+ 1]
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { values.append(UInt32.random(in: 0...(UInt32.max >> UInt32.random(in: 0...31, using: &generator)), using: &generator)) }
        var expected = ByteWriter()
        for v in values { expected.varint(UInt64(v)) }
        let scratch = ScratchBytes(capacity: 16)
        scratch.reserve(values.count * VarintWriter.maxBytes + 4)
        var out = scratch.base
        for v in values { out = VarintWriter.put(v, at: out) }
        #expect(Array(UnsafeBufferPointer(start: scratch.base, count: out - scratch.base)) == expected.bytes)
    }
}

@Suite struct BitPackingTests {
    /// Every width from 0 to 32 round-trips random values (and each width's extremes), read
    /// from a block with nothing after it, so no load may reach past the block's end.
    @Test func unpacksWhatPackWrote() throws {
        var generator = SystemRandomNumberGenerator()
        for width in 0...32 {
            let top: UInt32 = width == 0 ? 0 : UInt32.max >> UInt32(32 - width)
            for round in 0..<20 {
                var values = (0..<BitPacking.blockSize).map { _ in UInt32.random(in: 0...top, using: &generator) }
                if round == 0 { values = values.indices.map { $0 % 2 == 0 ? top : 0 } }
                var writer = ByteWriter()
                BitPacking.pack(values, width: width, into: &writer)
                #expect(writer.count == BitPacking.byteCount(width: width))
                let block = UnsafeMutableRawBufferPointer.allocate(byteCount: writer.count, alignment: 1)
                defer { block.deallocate() }
                writer.bytes.withUnsafeBytes { block.copyMemory(from: $0) }
                var reader = ByteReader(UnsafeRawBufferPointer(block), file: "test")
                var out = [UInt32](repeating: 7, count: BitPacking.blockSize)
                try out.withUnsafeMutableBufferPointer { try BitPacking.unpack(&reader, width: width, into: $0.baseAddress!) }
                #expect(out == values, "width \(width)")
                #expect(reader.isAtEnd)
            }
        }
    }
}

@Suite struct ByteStringTableTests {
    /// Keys of every length around the 8-byte inline comparison, zero bytes included (a key
    /// and its zero-padded extension must stay apart), through several table growths.
    @Test func internsEveryKeyOnceAndKeepsItsBytes() {
        var table = ByteStringTable(capacity: 4)
        var keys: [[UInt8]] = [[], [0], [0, 0], [1], [1, 0], [1, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0]]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let length = Int.random(in: 1...20, using: &generator)
            keys.append((0..<length).map { _ in UInt8.random(in: 0...3, using: &generator) })
        }
        // Pairs of three-byte characters, which have a table of their own (20,000 of them, so
        // it grows too), and keys that only look like pairs.
        let characters = (0..<200).map { Array(String(UnicodeScalar(0x4E00 + $0 * 97)!).utf8) } + [Array("、".utf8), Array("\u{FFFD}".utf8)]
        for _ in 0..<20_000 {
            keys.append(characters.randomElement(using: &generator)! + characters.randomElement(using: &generator)!)
        }
        keys += [Array("中文".utf8).dropLast(), Array("中文".utf8) + [0], Array("中a文".utf8), [0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80]]
        var ids: [[UInt8]: Int] = [:]
        for key in keys + keys.reversed() {
            let id = key.withUnsafeBufferPointer { table.intern($0) }
            if let known = ids[key] { #expect(id == known) } else { ids[key] = id }
        }
        #expect(table.count == ids.count)
        for (key, id) in ids { #expect(Array(table.bytes(id)) == key) }
        #expect(Set(ids.values).count == ids.count)
        // Sorted by bytes: zero bytes and prefixes (which pack to equal keys) included.
        #expect(table.sortedTerms().map { Array(table.bytes(Int($0.id))) } == ids.keys.sorted { $0.lexicographicallyPrecedes($1) })
    }
}
