/// What a document's title says when the document is one article of a law, as in a
/// collection of statutes split article by article (劳动合同法第十条, 民法典第一千零七十九条,
/// 著作權法第 3 條): the law it belongs to and that law's kind of instrument. Ranking uses
/// both (`RankingOptions.lawEvidenceWeight`, `instrumentBonus`); a title that names no
/// article gives nil, and the document is ranked on its own.
public struct LegalArticle: Sendable, Equatable {
    /// The title without its article number: the law's name.
    public var law: String
    public var kind: InstrumentKind

    /// Where an instrument stands among the sources of law, read off its name.
    public enum InstrumentKind: String, Sendable, CaseIterable {
        /// A law or code of the legislature (…法, …法典).
        case law
        /// An interpretation or provision of the Supreme People's Court or Procuratorate.
        case judicialInterpretation = "judicial interpretation"
        /// An administrative regulation (…条例).
        case regulation
        /// Departmental rules and measures (…规定, …办法, …细则, …规则).
        case rules
        case other
    }

    public init?(title: String) {
        guard let law = Self.lawName(title) else { return nil }
        self.law = law
        self.kind = Self.kind(of: law)
    }

    static let numerals: Set<Character> = [
        "零", "〇", "一", "二", "两", "兩", "三", "四", "五", "六", "七", "八", "九", "十", "百", "千",
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ",
    ]

    /// The title before a final 第N条 (or 條), with an optional 之N: nil without one.
    static func lawName(_ title: String) -> String? {
        var rest = Substring(title.trimmingSuffixWhitespace)
        // 第十条之一: the sub-article after the article.
        if let zhi = rest.lastIndex(of: "之"), rest[rest.index(after: zhi)...].allSatisfy({ numerals.contains($0) }),
           rest.index(after: zhi) < rest.endIndex {
            rest = rest[..<zhi]
        }
        guard let last = rest.last, last == "条" || last == "條" else { return nil }
        rest = rest.dropLast()
        guard let di = rest.lastIndex(of: "第") else { return nil }
        let number = rest[rest.index(after: di)...]
        guard !number.isEmpty, number.allSatisfy({ numerals.contains($0) }), number.contains(where: { $0 != " " }) else { return nil }
        let law = rest[..<di].trimmingSuffixWhitespace
        return law.isEmpty ? nil : String(law)
    }

    static func kind(of law: String) -> InstrumentKind {
        var name = Substring(law)
        // A trailing （一） or (2020修正) says which one, not what kind.
        if let close = name.last, close == "）" || close == ")",
           let open = name.lastIndex(where: { $0 == "（" || $0 == "(" }) {
            name = name[..<open]
        }
        if name.hasPrefix("最高人民法院") || name.hasPrefix("最高人民检察院") || name.hasPrefix("最高人民檢察院")
            || name.contains("解释") || name.contains("解釋") {
            return .judicialInterpretation
        }
        if name.hasSuffix("条例") || name.hasSuffix("條例") { return .regulation }
        for suffix in ["规定", "規定", "办法", "辦法", "细则", "細則", "规则", "規則"] where name.hasSuffix(suffix) {
            return .rules
        }
        if name.hasSuffix("法") || name.hasSuffix("法典") { return .law }
        return .other
    }
}

extension StringProtocol {
    fileprivate var trimmingSuffixWhitespace: SubSequence {
        var s = self[...]
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
