/// Titles of documents that are one article of a law (劳动合同法第十条, 著作權法第 3 條,
/// 民法典第一千零七十九条之一), as statute collections split article by article are titled.
/// The index counts each law's articles under a term of its own (`countTerm`), which ranking
/// reads as the size of the law; `Search.LegalArticle` builds on `lawName`.
public enum ArticleTitle {
    /// Article numbers: Chinese numerals, digits (full-width too) and the spaces of 第 3 條.
    static func isNumeral(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x30...0x39, 0xFF10...0xFF19, 0x20, 0x3000: true
        default: "零〇一二两兩三四五六七八九十百千".unicodeScalars.contains(c)
        }
    }

    /// The title before a final 第N条 (or 條), with an optional 之N: nil without one.
    /// Works on scalars: indexing reads every document's title with it.
    public static func lawName(_ title: String) -> String? {
        var s = Array(title.unicodeScalars)
        func trimTrailingSpace() { while let last = s.last, last.properties.isWhitespace { s.removeLast() } }
        trimTrailingSpace()
        // 第十条之一: the sub-article after the article.
        if let zhi = s.lastIndex(of: "之"), zhi + 1 < s.count, s[(zhi + 1)...].allSatisfy(isNumeral) {
            s.removeSubrange(zhi...)
        }
        guard let last = s.last, last == "条" || last == "條" else { return nil }
        s.removeLast()
        guard let di = s.lastIndex(of: "第") else { return nil }
        let number = s[(di + 1)...]
        guard number.contains(where: { $0 != " " && $0 != "\u{3000}" }), number.allSatisfy(isNumeral) else { return nil }
        s.removeSubrange(di...)
        trimTrailingSpace()
        guard !s.isEmpty else { return nil }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s)
        return String(view)
    }

    /// The term whose document frequency is the number of articles of `law` in a segment:
    /// byte 0x02, then the law's name as its titles spell it.
    public static func countTerm(law: String) -> [UInt8] {
        [SegmentLayout.articleCountPrefix] + Array(law.utf8)
    }
}
