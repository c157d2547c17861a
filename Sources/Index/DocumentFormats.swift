import Analysis
import Foundation
import ZIPFoundation

/// Text extracted from a file of one of the document formats.
public struct ExtractedText {
    public var text: [UInt8]
    /// A title the format states (HTML `<title>`, DOCX core properties), if any.
    public var title: String?
    /// The encoding the bytes were in, for plain text and HTML.
    public var encoding: String
    /// Why nothing could be extracted (e.g. pdftotext is not installed).
    public var problem: String?
}

/// Extraction of text from the formats policy documents come in.
public enum DocumentFormats {
    /// Plain text (.txt, .md) in UTF-8, GB18030, Big5 or UTF-16.
    static func plain(_ bytes: [UInt8]) -> ExtractedText {
        let decoded = EncodingDetector.decode(bytes)
        return ExtractedText(text: decoded.utf8, title: nil, encoding: decoded.encoding, problem: nil)
    }

    // MARK: HTML

    static let blockTags: Set<String> = ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
                                         "section", "article", "header", "footer", "ul", "ol", "blockquote", "pre",
                                         "hr", "title", "dt", "dd", "td", "th", "nav", "aside", "main", "figure"]
    static let hiddenTags: Set<String> = ["script", "style", "noscript", "template", "head"]

    /// The visible text of an HTML page: tags removed (block elements end lines), scripts,
    /// styles and the head left out, entities decoded; `<title>` is the title.
    public static func html(_ bytes: [UInt8]) -> ExtractedText {
        let decoded = EncodingDetector.decode(bytes)
        let source = Array(String(decoding: decoded.utf8, as: UTF8.self).unicodeScalars)
        var out = String.UnicodeScalarView()
        var title: String? = nil
        var i = 0
        var hiddenUntil: String? = nil  // inside <script> etc.: the closing tag to wait for
        var inTitle = false
        var titleText = ""
        func tagName(at start: Int) -> (name: String, closing: Bool, end: Int) {
            var j = start + 1
            var closing = false
            if j < source.count && source[j] == "/" { closing = true; j += 1 }
            var name = ""
            while j < source.count, source[j].properties.isAlphabetic || ("0"..."9").contains(source[j]) {
                name.unicodeScalars.append(source[j])
                j += 1
            }
            // Skip to the end of the tag, respecting quoted attribute values.
            var quote: Unicode.Scalar? = nil
            while j < source.count {
                let c = source[j]
                if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == ">" { break }
                j += 1
            }
            return (name.lowercased(), closing, min(j + 1, source.count))
        }
        while i < source.count {
            let c = source[i]
            if c == "<" {
                if i + 3 < source.count, source[i + 1] == "!", source[i + 2] == "-", source[i + 3] == "-" {
                    // A comment.
                    var j = i + 4
                    while j + 2 < source.count && !(source[j] == "-" && source[j + 1] == "-" && source[j + 2] == ">") { j += 1 }
                    i = min(j + 3, source.count)
                    continue
                }
                let (name, closing, end) = tagName(at: i)
                if name.isEmpty && !closing {
                    // Not a tag ("a < b"): text.
                    if hiddenUntil == nil { out.append(c) }
                    i += 1
                    continue
                }
                if let hidden = hiddenUntil {
                    if closing && name == hidden { hiddenUntil = nil }
                } else if name == "title" {
                    inTitle = !closing
                    if closing, title == nil { title = decodeEntities(titleText).trimmingCharacters(in: .whitespacesAndNewlines) }
                } else if !closing && hiddenTags.contains(name) && name != "head" {
                    hiddenUntil = name
                } else if blockTags.contains(name) {
                    out.append("\n")
                }
                i = end
                continue
            }
            if hiddenUntil == nil {
                if inTitle { titleText.unicodeScalars.append(c) } else { out.append(c) }
            }
            i += 1
        }
        let text = decodeEntities(String(out))
        return ExtractedText(text: Array(text.utf8), title: title?.isEmpty == false ? title : nil,
                             encoding: decoded.encoding, problem: nil)
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "middot": "·",
        "ldquo": "“", "rdquo": "”", "lsquo": "‘", "rsquo": "’", "mdash": "—", "ndash": "–", "hellip": "…",
        "copy": "©", "reg": "®", "times": "×", "deg": "°", "emsp": " ", "ensp": " ",
    ]

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = String(after[..<semi])
                var replacement: String? = namedEntities[name]
                if replacement == nil, name.hasPrefix("#") {
                    let digits = name.dropFirst()
                    let value = digits.lowercased().hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                    if let v = value, let scalar = Unicode.Scalar(v) { replacement = String(Character(scalar)) }
                }
                if let r = replacement {
                    out += r
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }

    // MARK: DOCX

    /// The text of a Word document's body (`word/document.xml`): runs of `<w:t>`, a line per
    /// paragraph, tabs and breaks kept; the title from `docProps/core.xml` when set.
    public static func docx(path: String) -> ExtractedText {
        func entry(_ archive: Archive, _ name: String) -> [UInt8]? {
            guard let e = archive[name] else { return nil }
            var data = Data()
            guard (try? archive.extract(e, skipCRC32: false) { data.append($0) }) != nil else { return nil }
            return Array(data)
        }
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .read),
              let body = entry(archive, "word/document.xml") else {
            return ExtractedText(text: [], title: nil, encoding: "UTF-8", problem: "not a readable .docx (no word/document.xml)")
        }
        let xml = String(decoding: body, as: UTF8.self)
        var text = ""
        var i = xml.startIndex
        while let open = xml[i...].firstIndex(of: "<") {
            guard let close = xml[open...].firstIndex(of: ">") else { break }
            let tag = xml[xml.index(after: open)..<close]
            let name = tag.prefix { $0 != " " && $0 != "/" && $0 != ">" }
            if name == "w:t" && !tag.hasSuffix("/") {
                // Text up to the next tag.
                let contentStart = xml.index(after: close)
                let contentEnd = xml[contentStart...].firstIndex(of: "<") ?? xml.endIndex
                text += decodeEntities(String(xml[contentStart..<contentEnd]))
                i = contentEnd
                continue
            }
            if tag == "/w:p" { text += "\n" } else if name == "w:tab" { text += "\t" } else if name == "w:br" || name == "w:cr" { text += "\n" }
            i = xml.index(after: close)
        }
        var title: String? = nil
        if let core = entry(archive, "docProps/core.xml") {
            let coreXML = String(decoding: core, as: UTF8.self)
            if let start = coreXML.range(of: "<dc:title>"), let end = coreXML.range(of: "</dc:title>"), start.upperBound <= end.lowerBound {
                let t = decodeEntities(String(coreXML[start.upperBound..<end.lowerBound])).trimmingCharacters(in: .whitespacesAndNewlines)
                if !t.isEmpty { title = t }
            }
        }
        return ExtractedText(text: Array(text.utf8), title: title, encoding: "UTF-8", problem: nil)
    }

    // MARK: PDF

    /// Text of a PDF through poppler's `pdftotext`, when it is installed.
    public static func pdf(path: String) -> ExtractedText {
        guard let tool = pdftotext else {
            return ExtractedText(text: [], title: nil, encoding: "UTF-8",
                                 problem: "pdftotext is not installed (apt-get install poppler-utils); PDF files are skipped")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-enc", "UTF-8", "-q", path, "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            return ExtractedText(text: [], title: nil, encoding: "UTF-8", problem: "pdftotext failed to start")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return ExtractedText(text: [], title: nil, encoding: "UTF-8", problem: "pdftotext could not read it")
        }
        // pdftotext separates pages with form feeds.
        return ExtractedText(text: Array(data).map { $0 == 0x0C ? 0x0A : $0 }, title: nil, encoding: "UTF-8", problem: nil)
    }

    static let pdftotext: String? = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
}
