/// The date and document number (文號) a policy document states, when it states them.
public enum DocumentMetadata {
    /// ISO 8601 date ("2020-03-05") of the first date in the document's head, else of the
    /// last date in its tail (where an issuing date is signed). Understands 2020年3月5日,
    /// 二〇二〇年三月五日, 中華民國109年3月5日 / 民國109年 (Minguo years), 2020-03-05 and 2020.03.05.
    public static func date(in text: String) -> String? {
        date(head: Array(text.unicodeScalars.prefix(headScalars)), text: text)
    }

    /// `date(in:)` given the text's first `headScalars` scalars (or more) already decoded;
    /// the text itself is made only when its tail must be searched.
    static func date(head: [Unicode.Scalar], text: @autoclosure () -> String) -> String? {
        if let d = dates(in: head.prefix(1500), firstOnly: true).first { return d }
        // A head of at most 1,500 scalars is the whole text (heads run to `headScalars`): its
        // tail was just searched.
        if head.count <= 1500 { return nil }
        return dates(in: Array(text().unicodeScalars.suffix(1500))[...]).last
    }

    static let headScalars = 3000

    /// A document number such as 國發〔2020〕5號 or 国办发〔2021〕12号, as written.
    public static func documentNumber(in text: String) -> String? {
        documentNumber(head: Array(text.unicodeScalars.prefix(headScalars)))
    }

    /// `documentNumber(in:)` given the text's first `headScalars` scalars.
    static func documentNumber(head: [Unicode.Scalar]) -> String? {
        let scalars = head.prefix(headScalars)
        func opens(_ s: Unicode.Scalar) -> Bool { s == "〔" || s == "[" || s == "［" || s == "(" || s == "（" || s == "【" }
        func closes(_ s: Unicode.Scalar) -> Bool { s == "〕" || s == "]" || s == "］" || s == ")" || s == "）" || s == "】" }
        var i = 0
        while i < scalars.endIndex {
            guard opens(scalars[i]) else { i += 1; continue }
            // 4 digits, a closing bracket, an optional 第, 1–5 digits, 號 or 号.
            var j = i + 1
            var year = 0, digits = 0
            while j < scalars.endIndex, let d = digit(scalars[j]), digits < 4 { year = year * 10 + d; digits += 1; j += 1 }
            guard digits == 4, (1949...2100).contains(year), j < scalars.endIndex, closes(scalars[j]) else { i += 1; continue }
            j += 1
            if j < scalars.endIndex && scalars[j] == "第" { j += 1 }
            var number = 0
            while j < scalars.endIndex, digit(scalars[j]) != nil, number < 5 { number += 1; j += 1 }
            guard number > 0, j < scalars.endIndex, scalars[j] == "號" || scalars[j] == "号" else { i += 1; continue }
            // The issuer's abbreviation before the bracket: up to 8 Han characters.
            var s = i
            while s > 0, i - s < 8, isHan(scalars[s - 1]) { s -= 1 }
            guard s < i else { i += 1; continue }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[s...j])
            return String(out)
        }
        return nil
    }

    static func isHan(_ s: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(s.value) || (0x3400...0x4DBF).contains(s.value)
    }

    static func digit(_ s: Unicode.Scalar) -> Int? {
        switch s.value {
        case 0x30...0x39: Int(s.value - 0x30)
        case 0xFF10...0xFF19: Int(s.value - 0xFF10)
        default: nil
        }
    }

    /// A Han digit's value (a switch: this runs on every character of a document's head).
    static func hanDigit(_ s: Unicode.Scalar) -> Int? {
        switch s {
        case "〇", "○", "零": 0
        case "一": 1
        case "二": 2
        case "三": 3
        case "四": 4
        case "五": 5
        case "六": 6
        case "七": 7
        case "八": 8
        case "九": 9
        default: nil
        }
    }

    /// A number at `i`: Arabic digits, digit-by-digit Han numerals (二〇二〇) or a Han count
    /// up to 99 (十二, 二十三). Returns the value and the index after it.
    static func number(_ s: ArraySlice<Unicode.Scalar>, _ i: Int, maxDigits: Int) -> (Int, Int)? {
        var j = i, value = 0, count = 0
        while j < s.endIndex, count < maxDigits, let d = digit(s[j]) { value = value * 10 + d; count += 1; j += 1 }
        if count > 0 { return (value, j) }
        // 十, 十二, 二十, 二十三
        var tens = 0, units = 0
        j = i
        if j < s.endIndex, let d = hanDigit(s[j]), d > 0, j + 1 < s.endIndex, s[j + 1] == "十" { tens = d; j += 2 }
        else if j < s.endIndex, s[j] == "十" { tens = 1; j += 1 }
        if tens > 0 {
            if j < s.endIndex, let d = hanDigit(s[j]), d > 0 { units = d; j += 1 }
            return (tens * 10 + units, j)
        }
        while j < s.endIndex, count < maxDigits, let d = hanDigit(s[j]) { value = value * 10 + d; count += 1; j += 1 }
        return count > 0 ? (value, j) : nil
    }

    /// Every well-formed date in order.
    static func dates(in s: ArraySlice<Unicode.Scalar>, firstOnly: Bool = false) -> [String] {
        var found: [String] = []
        var i = s.startIndex
        while i < s.endIndex {
            // A Minguo year: 中華民國 / 民國 + 1–3 digits + 年.
            var minguo = false
            if s[i] == "民", i + 1 < s.endIndex, s[i + 1] == "國" || s[i + 1] == "国" {
                minguo = true
                i += 2
            }
            guard let (year, afterYear) = number(s, i, maxDigits: 4) else { i += 1; continue }
            let fullYear = minguo ? year + 1911 : year
            let digitsUsed = afterYear - i
            guard afterYear < s.endIndex, (minguo ? (1...3).contains(digitsUsed) : digitsUsed == 4), (1900...2100).contains(fullYear) else {
                i = max(i + 1, afterYear)
                continue
            }
            let separator = s[afterYear]
            var monthStart = afterYear + 1
            if separator != "年" && separator != "-" && separator != "." && separator != "/" { i = afterYear; continue }
            if separator != "年" && minguo { i = afterYear; continue }
            guard let (month, afterMonth) = number(s, monthStart, maxDigits: 2), (1...12).contains(month), afterMonth < s.endIndex else {
                i = afterYear
                continue
            }
            let monthMark = s[afterMonth]
            guard separator == "年" ? monthMark == "月" : monthMark == separator else { i = afterYear; continue }
            monthStart = afterMonth + 1
            guard let (day, afterDay) = number(s, monthStart, maxDigits: 2), (1...31).contains(day) else { i = afterYear; continue }
            if separator == "年" && !(afterDay < s.endIndex && (s[afterDay] == "日" || s[afterDay] == "號" || s[afterDay] == "号")) {
                i = afterYear
                continue
            }
            if separator != "年", afterDay < s.endIndex, digit(s[afterDay]) != nil { i = afterYear; continue }
            found.append(String(format4(fullYear)) + "-" + two(month) + "-" + two(day))
            if firstOnly { break }
            i = afterDay
        }
        return found
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    static func format4(_ n: Int) -> String { String(n) }
}
