import Foundation
import Testing
import CICUShim
import TestSupport
@testable import Analysis

/// Checks a token stream as parallel arrays, like Lucene's assertAnalyzesTo.
func assertTokens(_ analyzed: AnalyzedText, original: String, terms: [String], kinds: [TokenKind]? = nil,
                  positions: [Int32]? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(analyzed.terms == terms, sourceLocation: sourceLocation)
    if let kinds { #expect(analyzed.tokens.map(\.kind) == kinds, sourceLocation: sourceLocation) }
    if let positions { #expect(analyzed.tokens.map(\.position) == positions, sourceLocation: sourceLocation) }
    // Offsets always point at original text that folds to the term.
    let bytes = Array(original.utf8)
    let normalizer = Normalizer()
    for token in analyzed.tokens {
        let slice = String(decoding: bytes[Int(token.start)..<Int(token.end)], as: UTF8.self)
        #expect(normalizer.normalize(slice).string == analyzed.term(token), "offsets of \(analyzed.term(token))", sourceLocation: sourceLocation)
    }
}

@Suite struct NormalizerTests {
    let normalizer = Normalizer()

    @Test func removesPinyinAnnotations() {
        let n = normalizer.normalize("經(jīng)濟(jì)")
        #expect(n.string == "经济")
        #expect(n.annotationsRemoved == 2)
        #expect(normalizer.normalize("復(fù)工復(fù)產(chǎn)").string == "复工复产")
        #expect(normalizer.normalize("復（fù）工").string == "复工")
    }

    @Test func keepsOrdinaryParentheses() {
        #expect(normalizer.normalize("(一)").string == "(一)")
        #expect(normalizer.normalize("年(2020)").string == "年(2020)")
        #expect(normalizer.normalize("（作者單位：西寧）").string == "(作者单位:西宁)")
        // Pinyin without a tone mark, or after a non-Han character, is not an annotation.
        #expect(normalizer.normalize("區(qu)").string == "区(qu)")
        #expect(normalizer.normalize("a(fù)").string == "a(fù)")
        #expect(normalizer.normalize("經(jīngjìjīngjì)").string == "经(jīngjìjīngjì)")
    }

    @Test func foldsWidthCaseAndScript() {
        #expect(normalizer.normalize("ＡＢＣ１２３").string == "abc123")
        #expect(normalizer.normalize("PM2.5 App").string == "pm2.5 app")
        #expect(normalizer.normalize("復工復產").string == "复工复产")
        #expect(normalizer.normalize("園區").string == "园区")
    }

    @Test func mapsEveryByteBackToItsOriginalCharacter() {
        let original = "復(fù)工Ａ"
        let n = normalizer.normalize(original)
        let bytes = Array(original.utf8)
        #expect(n.bytes.count == n.originalStart.count)
        // 复 ← 復 (bytes 0..<3), 工 ← 工 after the 6-byte annotation, a ← Ａ.
        #expect(n.originalRange(0, 3) == 0..<3)
        #expect(String(decoding: bytes[n.originalRange(3, 6)], as: UTF8.self) == "工")
        #expect(String(decoding: bytes[n.originalRange(6, 7)], as: UTF8.self) == "Ａ")
    }

    @Test func keepsAnOwnScriptCopyAlignedByteForByte() {
        let original = "遊樂場(chǎng)ＡＢ園區"
        let n = Array(original.utf8).withUnsafeBufferPointer { normalizer.normalize($0, keepingScript: true) }
        #expect(n.string == "游乐场ab园区")
        // Annotation removed and width folded as in `bytes`; only Traditional→Simplified undone.
        #expect(String(decoding: n.ownScript, as: UTF8.self) == "遊樂場ab園區")
        #expect(n.ownScript.count == n.bytes.count)
        #expect(n.segmentationBytes == n.ownScript)
        // Nothing folded to Simplified, or not asked for: no copy.
        let simplified = Array("游乐场ab".utf8).withUnsafeBufferPointer { normalizer.normalize($0, keepingScript: true) }
        #expect(simplified.ownScript.isEmpty && simplified.segmentationBytes == simplified.bytes)
        #expect(normalizer.normalize("遊樂場").ownScript.isEmpty)
        // A copy begun late holds the text before the first Traditional character too.
        let late = Array("abc游乐遊樂".utf8).withUnsafeBufferPointer { normalizer.normalize($0, keepingScript: true) }
        #expect(String(decoding: late.ownScript, as: UTF8.self) == "abc游乐遊樂")
    }

    @Test func replacesInvalidUTF8() {
        let bytes: [UInt8] = [0xE5, 0xA4, 0x8D, 0xFF, 0x41]
        let n = bytes.withUnsafeBufferPointer { normalizer.normalize($0) }
        #expect(n.string == "复\u{FFFD}a")
        #expect(n.invalidSequences == 1)
    }

    /// The index's path (text only, written through a pointer) gives the general path's text
    /// and counts: on random mixes of Han, Latin, full-width forms, annotations, invalid
    /// bytes and characters whose folds expand, and on texts that expand past the storage it
    /// sizes (株式会社 from ㍿, four times as many bytes), where it falls back.
    @Test func textOnlyPathAgreesWithTheGeneralOne() {
        let pieces: [[UInt8]] = ["復", "(fù)", "工", "經濟", "ＡＢＣ１２３", "abc", "Straße", "ﬁ", "㍿", "㈱", " ", "（", "）",
                                 "\u{20000}", "é", "ǖ", "(一)", "。"].map { Array($0.utf8) } + [[0xFF], [0xE5, 0xA4], [0xC0, 0x80]]
        var generator = SeededGenerator(seed: 7)
        var texts: [[UInt8]] = [Array(repeating: "㍿", count: 400).joined().utf8.map { $0 }, []]
        for _ in 0..<2_000 {
            var text: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &generator) { text += pieces.randomElement(using: &generator)! }
            texts.append(text)
        }
        for text in texts {
            let (fast, general) = text.withUnsafeBufferPointer {
                (normalizer.normalize($0, keepingOffsets: false), normalizer.normalize($0, keepingOffsets: true))
            }
            let sameText = fast.bytes == general.bytes
            #expect(sameText, "text of \(text.count) bytes: \(fast.string.prefix(40)) against \(general.string.prefix(40))")
            #expect(fast.invalidSequences == general.invalidSequences)
            #expect(fast.annotationsRemoved == general.annotationsRemoved)
            #expect(fast.originalStart.isEmpty && fast.ownScript.isEmpty)
        }
    }
}

@Suite struct TraditionalToSimplifiedTableTests {
    /// The generated table must agree with ICU's transliterator, character by character.
    @Test func tableMatchesICU() throws {
        var error: Int32 = 0
        let t = try #require(cicu_transliterator_open("Traditional-Simplified", &error))
        defer { cicu_transliterator_close(t) }
        #expect(traditionalToSimplified.count > 2500)
        var checked = 0
        for (from, to) in traditionalToSimplified {
            let input = Array(String(Unicode.Scalar(from)!).utf16)
            var out = [UInt16](repeating: 0, count: 16)
            let n = cicu_transliterate(t, input, Int32(input.count), &out, 16)
            #expect(String(decoding: out[0..<Int(max(n, 0))], as: UTF16.self) == String(Unicode.Scalar(to)!))
            checked += 1
        }
        #expect(checked == traditionalToSimplified.count)
    }
}

@Suite struct CharacterFolderTests {
    /// The fold skips ICU for CJK unified ideographs: it must give what ICU gives, for every
    /// one of them, with and without folding to Simplified.
    @Test func hanFastPathAgreesWithICU() {
        for simplify in [true, false] {
            let folder = CharacterFolder(simplify: simplify)
            var disagreements: [UInt32] = []
            for scalar in Array(0x3400...0x4DBF) + Array(0x4E00...0x9FFF) {
                var fast: [UInt32] = []
                folder.fold(UInt32(scalar), into: &fast)
                if fast != folder.computeWithICU(UInt32(scalar)) { disagreements.append(UInt32(scalar)) }
            }
            #expect(disagreements.isEmpty, "simplify \(simplify): \(disagreements.prefix(10).map { String($0, radix: 16) })")
        }
    }
}

@Suite struct WordBreakerTests {
    @Test func segmentsASentenceOfTheSeed() throws {
        let breaker = try WordBreaker()
        let text = "有序推动复工复产"
        let words = breaker.segments(text).filter { $0.status >= 100 }.map {
            String(decoding: Array(text.utf8)[$0.start..<$0.end], as: UTF8.self)
        }
        #expect(words.joined() == text)
        #expect(words.count >= 3)
    }

    @Test func cutsLongHanRunsIntoBoundedWindows() throws {
        let breaker = try WordBreaker()
        let text = String(repeating: "经济社会发展", count: 2000)
        var covered = 0
        var previousEnd = 0
        for s in breaker.segments(text) {
            #expect(s.start == previousEnd)
            #expect(s.end - s.start <= WordBreaker.maxWindowBytes)
            previousEnd = s.end
            covered += s.end - s.start
        }
        #expect(covered == text.utf8.count)
    }

    /// A window never ends inside a character, even when its byte limit falls inside a
    /// punctuation mark (it did: 占27.98%。 lost its number to a window cut inside 。).
    @Test func windowsEndOnCharacterBoundaries() throws {
        for pad in 1018...1024 {
            let text = Array((String(repeating: "a", count: pad) + "。" + String(repeating: "中", count: 400)).utf8)
            text.withUnsafeBufferPointer { t in
                var start = 0
                while start < t.count {
                    let end = WordBreaker.windowEnd(t, from: start)
                    #expect(end > start && (end == t.count || t[end] & 0xC0 != 0x80), "pad \(pad): window \(start)..<\(end)")
                    start = end
                }
            }
        }
        let breaker = try WordBreaker()
        let text = String(repeating: "经", count: 338) + "占27.98%。" + String(repeating: "中", count: 400)  // 。 at bytes 1023..<1026
        #expect(breaker.segments(text).contains { $0.status == 100 })
        #expect(try Analyzer.forIndexing().analyze(text).terms.contains("27.98"))
    }

    /// What `segmentOutsideHan` assumes of ICU, character by character: the ASCII characters
    /// ICU makes words of are exactly those it reads stretches for, and no ASCII or `isInert`
    /// character is a word or joins a Han character beside it.
    @Test func charactersOutsideHanBehaveAsAssumed() throws {
        let breaker = try WordBreaker()
        func isWordish(_ c: String) -> Bool { breaker.segments(c + c + c).contains { $0.status >= 100 } }
        func joinsHan(_ c: String) -> Bool {
            let after = breaker.segments("中" + c), before = breaker.segments(c + "中")
            return after.first?.end != 3 || !before.contains { $0.end == c.utf8.count }
        }
        var wordish: [UInt8] = []
        for b in UInt8(0)..<0x80 {
            let c = String(UnicodeScalar(b))
            if isWordish(c) { wordish.append(b) }
            #expect(!joinsHan(c), "ASCII \(b) joins Han")
        }
        #expect(wordish == (UInt8(0)..<0x80).filter(WordBreaker.isWordByte))
        var inert = 0
        for v in UInt32(0x80)..<0x10000 where WordBreaker.isInert(v) {
            let c = String(UnicodeScalar(v)!)
            #expect(!isWordish(c) && !joinsHan(c), "U+\(String(v, radix: 16)) is a word or joins Han")
            inert += 1
        }
        #expect(inert > 1000)
    }
}

@Suite struct AnalyzerTests {
    let analyzer = try! Analyzer(script: .own)

    @Test func emitsBigramsUnigramAndLongWords() {
        let text = "工業園區"
        let a = analyzer.analyze(text)
        // Bigrams at each character, the run's last character as a unigram, and ICU's
        // four-character word (if ICU keeps it whole) at position 0.
        let subwords = a.tokens.filter { $0.kind == .subword }
        #expect(subwords.map { a.term($0) } == ["工业", "业园", "园区", "区"])
        #expect(subwords.map(\.position) == [0, 1, 2, 3])
        assertTokens(a, original: text, terms: a.terms)
    }

    @Test func keepsNumbersAndLatinWords() {
        let text = "規模以上工業企業復工復產率達到100%，PM2.5 App"
        let a = analyzer.analyze(text)
        let nonHan = a.tokens.filter { $0.kind == .number || $0.kind == .latin }
        #expect(nonHan.map { a.term($0) } == ["100", "pm2.5", "app"])
        #expect(nonHan.map(\.kind) == [.number, .latin, .latin])
        assertTokens(a, original: text, terms: a.terms)
    }

    @Test func annotatedAndPlainTextAnalyseAlike() {
        let annotated = analyzer.analyze("有序推動復(fù)工復(fù)產(chǎn)")
        let plain = analyzer.analyze("有序推动复工复产")
        #expect(annotated.terms == plain.terms)
        #expect(annotated.tokens.map(\.position) == plain.tokens.map(\.position))
        assertTokens(annotated, original: "有序推動復(fù)工復(fù)產(chǎn)", terms: plain.terms)
    }

    @Test func offsetsSurviveAstralCharactersAndSpaces() {
        let text = "𠀀 中文  abc"
        let a = analyzer.analyze(text)
        assertTokens(a, original: text, terms: ["𠀀", "中文", "文", "abc", "ab", "bc", "c"],
                     kinds: [.subword, .subword, .subword, .latin, .subword, .subword, .subword],
                     positions: [0, 1, 2, 3, 3, 4, 5])
    }

    @Test func punctuationTakesAPositionButMakesNoToken() {
        let text = "PM2.5濃度，2020年"
        let a = analyzer.analyze(text)
        let subwords = a.tokens.filter { $0.kind == .subword }
        #expect(subwords.map { a.term($0) } == ["pm", "m2", "2", "5浓", "浓度", "度", "20", "02", "20", "0年", "年"])
        #expect(subwords.map(\.position) == [0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12])
        #expect(a.positionCount == 13)
        assertTokens(a, original: text, terms: a.terms)
    }

    /// ICU's dictionary holds 遊樂場 and 流動性 but not 游乐场 and 流动性: a document is cut
    /// in its own script (as ICU alone cuts it), a query folded (the same in either script).
    /// Terms are folded either way.
    @Test func documentsAreCutInTheirOwnScriptQueriesFolded() throws {
        let traditional = "李鄭屋遊樂場外的露宿者，流動性很大"
        let simplified = "李郑屋游乐场外的露宿者，流动性很大"
        let document = analyzer.analyze(traditional)
        #expect(document.tokens.filter { $0.kind == .word }.map(document.term) == ["游乐场", "流动性"])
        let icuAlone = try WordBreaker().segments(traditional).map { String(decoding: Array(traditional.utf8)[$0.start..<$0.end], as: UTF8.self) }
        #expect(icuAlone.contains("遊樂場") && icuAlone.contains("流動性"))
        #expect(document.wordBoundaries.count == icuAlone.count)
        let query = try Analyzer(script: .folded)
        let t = query.analyze(traditional), s = query.analyze(simplified)
        #expect(t.terms == s.terms && t.wordBoundaries == s.wordBoundaries)
        #expect(t.tokens.filter { $0.kind == .subword }.map(t.term) == document.tokens.filter { $0.kind == .subword }.map(document.term))
    }

    /// The index's analyzer leaves the map back to the original out; nothing else changes.
    @Test func withoutOriginalOffsetsTheTokensAreTheSame() throws {
        let indexing = try Analyzer(script: .own, keepsOriginalOffsets: false)
        let text = "有序推動復(fù)工復產，PM2.5 濃度 遊樂場 ㈱"
        let a = analyzer.analyze(text), b = indexing.analyze(text)
        #expect(a.normalized.bytes == b.normalized.bytes && a.wordBoundaries == b.wordBoundaries)
        #expect(a.tokens.map { [$0.kind.rawValue, UInt8($0.position)] } == b.tokens.map { [$0.kind.rawValue, UInt8($0.position)] })
        #expect(a.terms == b.terms && a.positionCount == b.positionCount)
        #expect(b.normalized.originalStart.isEmpty && b.tokens.allSatisfy { $0.start == 0 && $0.end == 0 })
        #expect(a.normalized.originalStart.count == a.normalized.bytes.count)
    }

    /// Without Han words ICU reads only the text between Han characters; every other token
    /// must come out exactly as when ICU reads everything. Checked on random mixtures of the
    /// characters whose neighbours ICU's rules treat specially, and on real documents.
    @Test func withoutHanWordsOnlyTheHanWordsGo() throws {
        let full = try Analyzer(script: .own, keepsOriginalOffsets: false)
        let lean = try Analyzer.forIndexing()
        var compared = 0, hanWords = 0
        func check(_ text: String) {
            let a = full.analyze(text), b = lean.analyze(text)
            let kept = a.tokens.filter { $0.kind != .word }
            // The index's analyzer does not sort its tokens (`Analyzer.sortsTokens`).
            var leanTokens = b.tokens
            Analyzer.sortByPosition(&leanTokens)
            hanWords += a.tokens.count - kept.count
            #expect(a.normalized.bytes == b.normalized.bytes && a.positionCount == b.positionCount)
            let same = kept.map { [Int32($0.kind.rawValue), $0.position, $0.termStart, $0.termEnd] }
                == leanTokens.map { [Int32($0.kind.rawValue), $0.position, $0.termStart, $0.termEnd] }
            #expect(same, "tokens differ for \(text.debugDescription.prefix(300))")
            compared += 1
        }
        // Han, ASCII (every printable character) and the rest, drawn a third each.
        let han = ["复工复产", "中华人民共和国", "國家", "〇", "條"]
        let ascii = ["PM", "2020", "3.5", "ab'c", "1,000", "__", "___", "@@@", " "] + (0x21...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        let other = ["の", "カタカナ", "ก", "д", "é", "\u{301}", "、", "。", "\u{200B}", "😀", "\u{3000}"]
        var random = SeededGenerator(seed: 7)
        for _ in 0..<6000 {
            check((0..<Int.random(in: 1...12, using: &random)).map { _ in
                [han, ascii, other].randomElement(using: &random)!.randomElement(using: &random)!
            }.joined())
        }
        #expect(compared == 6000)
        // Every 8th document of corpus-dev, and the sample report.
        var texts = [try String(contentsOfFile: SharedData.repositoryRoot + "/corpus/000_d4955fed3019d925.txt", encoding: .utf8)]
        if SharedData.hasCorpusDev, let files = FileManager.default.enumerator(atPath: SharedData.corpusDev)?.allObjects as? [String] {
            for (k, file) in files.sorted().enumerated() where k % 8 == 0 && file.hasSuffix(".md") {
                texts.append(try String(contentsOfFile: SharedData.corpusDev + "/" + file, encoding: .utf8))
            }
        } else {
            print("corpus-dev not found at \(SharedData.corpusDev): checked on the sample report only")
        }
        for text in texts { check(text) }
        #expect(hanWords > 1000)
    }

    @Test func nonAdjacentHanCharactersDoNotFormBigrams() {
        let a = analyzer.analyze("复工，复产")
        #expect(a.terms.filter { $0 == "工复" }.isEmpty)
        #expect(a.terms.contains("工"))
    }
}

@Suite struct UserDictionaryTests {
    func dictionary(_ text: String) -> UserDictionary {
        UserDictionary.parse(Array(text.utf8), normalizer: Normalizer())
    }

    @Test func parsesLinesFoldsScriptAndDropsWhatCannotMatch() {
        let d = dictionary("\u{FEFF}復工復產\n# a comment\n\n非公企业 10 n\n  黨建  \n《民法典》\nCOVID-19\nＡＢＣ詞\n")
        #expect(d.words.map { String(decoding: $0, as: UTF8.self) }.sorted() == ["abc词", "党建", "复工复产", "非公企业"])
        #expect(d.contains(Array("复工复产".utf8)))
        #expect(!d.contains(Array("复工".utf8)))  // a prefix is not a word
        #expect(!d.contains(Array("复工复产率".utf8)))
        #expect(d.maxCharacters == 4)
        #expect(d.skippedCount == 2 && d.skippedEntries == ["《民法典》", "COVID-19"])
    }

    @Test func anIndexCopyMustBeSortedAndUnique() {
        let a = Array("工业".utf8), b = Array("园区".utf8)
        #expect(UserDictionary(sortedUniqueWords: [a, b].sorted { $0.lexicographicallyPrecedes($1) })?.words.count == 2)
        #expect(UserDictionary(sortedUniqueWords: [b, a].sorted { !$0.lexicographicallyPrecedes($1) }) == nil)
        #expect(UserDictionary(sortedUniqueWords: [a, a]) == nil)
        #expect(UserDictionary(sortedUniqueWords: [[]]) == nil)
        #expect(UserDictionary(normalizedWords: [a, [UInt8](repeating: 0x61, count: 300)]).words == [a])
    }

    @Test func findsEveryWordStartingAtAPlaceShortestFirst() {
        let d = dictionary("工业\n工业园\n工业园区\n园区\n")
        let text = Array("工业园区建设".utf8)
        var ends: [Int] = []
        text.withUnsafeBufferPointer { b in d.forEachWord(in: b, from: 0, limit: b.count) { ends.append($0) } }
        #expect(ends == [6, 9, 12])
        ends = []
        text.withUnsafeBufferPointer { b in d.forEachWord(in: b, from: 0, limit: 9) { ends.append($0) } }
        #expect(ends == [6, 9])  // the limit cuts words off
    }

    @Test func dictionaryWordsBecomeSingleTermsInEitherScript() throws {
        let plain = try Analyzer(script: .own)
        #expect(!plain.analyze("有序推動復工復產").tokens.contains { $0.kind == .word })
        let analyzer = try Analyzer(dictionary: dictionary("復工復產\n"), script: .own)
        for text in ["有序推動復工復產", "有序推动复工复产"] {
            let analyzed = analyzer.analyze(text)
            let words = analyzed.tokens.filter { $0.kind == .word }
            #expect(words.map(analyzed.term) == ["复工复产"])
            #expect(words.first?.position == 4)
            #expect(analyzed.isWordBoundary(12) && analyzed.isWordBoundary(24))
            // Sub-word terms are unchanged: the dictionary adds, it never hides text.
            #expect(analyzed.tokens.filter { $0.kind == .subword }.map(analyzed.term)
                    == plain.analyze(text).tokens.filter { $0.kind == .subword }.map(plain.analyze(text).term))
        }
    }

    /// The index's analyzer (no ICU Han words) still finds the dictionary's words, and
    /// only ICU's own Han words are missing from what the full analyzer finds.
    @Test func withoutHanWordsTheDictionarysWordsStay() throws {
        let words = dictionary("復工復產\n非公企業\n")
        let full = try Analyzer(dictionary: words, script: .own)
        let lean = try Analyzer.forIndexing(dictionary: words)
        let text = "中华人民共和国有序推動復工復產，非公企業 PM2.5 工業園區"
        let a = full.analyze(text), b = lean.analyze(text)
        #expect(a.tokens.filter { $0.kind == .word }.map(a.term) == ["共和国", "复工复产", "非公企业", "工业园区"])
        #expect(b.tokens.filter { $0.kind == .word }.map(b.term) == ["复工复产", "非公企业"])
        var sorted = b  // the index's analyzer does not sort its tokens
        Analyzer.sortByPosition(&sorted.tokens)
        #expect(a.tokens.filter { $0.kind != .word || ["复工复产", "非公企业"].contains(a.term($0)) }.map(a.term) == sorted.terms)
        #expect(b.terms.contains("pm2.5"))
    }

    /// Without ICU's Han words, every occurrence of a dictionary word is a token, overlapping
    /// ones too, where the cheapest cut keeps one of them; two-character words are bigrams and
    /// Latin words are ICU's.
    @Test func withoutHanWordsEveryDictionaryOccurrenceIsAWord() throws {
        let words = dictionary("復工復產\n工復產\n產業園區\n園區\ncovid19\n")
        let text = "復工復產業園區，covid19 復工復產"
        let cut = try Analyzer(dictionary: words, script: .own).analyze(text)
        let lean = try Analyzer.forIndexing(dictionary: words).analyze(text)
        let cutWords = cut.tokens.filter { $0.kind == .word }.map(cut.term)
        #expect(cutWords.count < 4 && cutWords.contains("复工复产"))
        let leanWords = lean.tokens.filter { $0.kind == .word }
        #expect(leanWords.map(lean.term) == ["复工复产", "工复产", "产业园区", "复工复产", "工复产"])
        #expect(leanWords.map(\.position) == [0, 1, 3, 15, 16])
        #expect(lean.tokens.filter { lean.term($0) == "covid19" }.map(\.kind) == [.latin])
        #expect(lean.tokens.filter { $0.kind == .subword }.map(lean.term) == cut.tokens.filter { $0.kind == .subword }.map(cut.term))
    }

    @Test func cutPrefersDictionaryWordsThenICUWordsThenLoneCharacters() throws {
        // Dictionary words win over ICU's cut…
        let analyzer = try Analyzer(dictionary: dictionary("园区非公\n企业党\n"), script: .own)
        let analyzed = analyzer.analyze("园区非公企业党组织")
        let words = analyzed.tokens.filter { $0.kind == .word }.map(analyzed.term)
        #expect(words == ["园区非公", "企业党"])
        // …and where the dictionary has nothing, ICU's words stand.
        let icuOnly = try Analyzer(script: .own).analyze("组织")
        let cut = try Analyzer(dictionary: dictionary("企业党\n"), script: .own).analyze("组织")
        #expect(cut.wordBoundaries == icuOnly.wordBoundaries)
    }
}

@Suite struct SegmentationScoreTests {
    @Test func scoresWordsAsCharacterSpans() {
        // Gold: 共同 创造 美好 的 新 世纪; system: 共同 创 造 美好的 新 世纪 → 3 correct.
        let score = SegmentationScore(gold: ["共同", "创造", "美好", "的", "新", "世纪"],
                                      system: ["共同", "创", "造", "美好的", "新", "世纪"],
                                      knownWords: ["共同", "创造", "美好", "的", "新"])
        #expect(score.goldWords == 6 && score.systemWords == 6 && score.correct == 3)
        #expect(abs(score.f1 - 0.5) < 1e-9)
        #expect(score.goldOOV == 1 && score.correctOOV == 1)  // 世纪
    }

    @Test func linesMayBreakDifferentlyInGoldAndSystem() {
        // MSR's gold moves an opening quote to the previous line: spans still line up.
        let score = SegmentationScore(gold: ["他", "说", "“", "\n", "好"], system: ["他", "说", "\n", "“", "好"])
        #expect(score.correct == 4 && score.goldWords == 4)
    }
}

@Suite struct UTF8ValidationTests {
    /// The encoding detector's check (with its in-place path for three-byte sequences) agrees
    /// with the standard library's validation on random bytes weighted towards the edge
    /// cases: lead bytes E0 and ED (overlong forms, surrogates), truncated sequences at the
    /// end, stray continuation bytes, four-byte and ASCII.
    @Test func agreesWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x41, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        var valid = 0
        for _ in 0..<50_000 {
            let length = Int.random(in: 0...7, using: &generator)
            let bytes = (0..<length).map { _ in interesting.randomElement(using: &generator)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if expected { valid += 1 }
            #expect(EncodingDetector.isValidUTF8(bytes[...]) == expected, "\(bytes)")
        }
        #expect(valid > 1000)
        #expect(EncodingDetector.isValidUTF8(Array("復工復產 COVID-19 🦠".utf8)[...]))
    }
}
