import Analysis
import IndexFormat

/// The index's own copy of the user dictionary it was built with (`dict_<gen>.dic`, kind
/// "DICT": varint word count · words, each varint length + normalised UTF-8, sorted).
/// Queries cut their text with exactly these words, whatever happens to the source file
/// afterwards, so query and index always agree.
public enum DictionaryFile {
    static let kind = "DICT"
    /// Where a dictionary is looked for when `search index --dict` names none.
    public static let defaultSourceName = "dictionary.txt"

    static func encode(_ dictionary: UserDictionary) -> [UInt8] {
        var w = ByteWriter()
        w.varint(dictionary.words.count)
        for word in dictionary.words {
            w.varint(word.count)
            w.append(word)
        }
        return FileEnvelope.wrap(kind: kind, body: w.bytes)
    }

    static func decode(_ bytes: [UInt8], name: String) throws -> UserDictionary {
        try bytes.withUnsafeBytes { raw in
            let body = try FileEnvelope.open(raw, kind: kind, name: name, verifyChecksum: true)
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[body]), file: name)
            let count = try r.varint(max: body.count)
            var words: [[UInt8]] = []
            words.reserveCapacity(count)
            for _ in 0..<count {
                let length = try r.varint(max: r.remaining)
                words.append(Array(try r.bytes(length)))
            }
            guard r.isAtEnd else { throw r.corrupt("trailing bytes") }
            guard let dictionary = UserDictionary(sortedUniqueWords: words) else { throw r.corrupt("words out of order") }
            return dictionary
        }
    }

    static func load(directory: String, name: String) throws -> UserDictionary? {
        name.isEmpty ? nil : try decode(try FileSystem.read(directory + "/" + name), name: name)
    }

    /// The dictionary source an index uses: the file `search index --dict` recorded, or
    /// `dictionary.txt` in the index directory.
    public static func sourcePath(directory: String, manifest: Manifest) -> String {
        manifest.dictionarySource.isEmpty ? directory + "/" + defaultSourceName : manifest.dictionarySource
    }

    /// Whether the source file differs from the one the index was built with (a missing
    /// file is an empty dictionary).
    public static func sourceChanged(directory: String, manifest: Manifest) -> Bool {
        let path = sourcePath(directory: directory, manifest: manifest)
        let hash = (try? FileSystem.read(path)).map(ContentHash.hash) ?? 0
        return hash != manifest.dictionarySourceHash
    }
}
