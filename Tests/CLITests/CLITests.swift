import Foundation
import Testing
import TestSupport

/// Runs the built `search` executable (it sits beside the test bundle).
struct CLI {
    static var executable: String {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
        while dir.path != "/" && dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("search").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func start(_ arguments: [String], in directory: String, stdin: String? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return (process, out, err)
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: String, stdin: String? = nil) throws -> Output {
        let (process, out, err) = try start(arguments, in: directory, stdin: stdin)
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}

/// A working folder holding a copy of the shipped corpus.
func workspaceWithSampleCorpus() throws -> TemporaryDirectory {
    let dir = TemporaryDirectory("search-cli")
    let sample = SharedData.repositoryRoot + "/corpus"
    for name in try FileManager.default.contentsOfDirectory(atPath: sample) {
        dir.write("corpus/" + name, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: sample + "/" + name))))
    }
    return dir
}

/// Waits until a `search index` process holds the index's lock (it writes its pid into LOCK).
func waitUntilHoldingTheLock(_ process: Process, index: String) {
    for _ in 0..<2000 where process.isRunning {
        if (try? String(contentsOfFile: index + "/LOCK", encoding: .utf8)) == "\(process.processIdentifier)\n" { return }
        usleep(1_000)
    }
}

func jsonObject(_ line: Substring) -> [String: Any]? {
    try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
}

@Suite(.serialized) struct CLITests {
    @Test func firstQueryBuildsTheIndexFromCorpus() throws {
        let dir = try workspaceWithSampleCorpus()
        let first = try CLI.run(["復工復產"], in: dir.path)
        #expect(first.status == 0)
        #expect(first.stderr.contains("building it from ./corpus"))
        #expect(first.stdout.contains("corpus/000_d4955fed3019d925.txt"))
        #expect(first.stdout.contains("復工復產"))
        let second = try CLI.run(["复工复产"], in: dir.path)
        #expect(second.status == 0)
        #expect(second.stderr.isEmpty)
        #expect(second.stdout.contains("復工復產"))  // the snippet keeps the document's script
    }

    @Test func jsonOutputIsOneParsableObject() throws {
        let dir = try workspaceWithSampleCorpus()
        let result = try CLI.run(["--json", "-k", "5", "园区"], in: dir.path)
        #expect(result.status == 0)
        let object = try #require(jsonObject(Substring(result.stdout.trimmingCharacters(in: .newlines))))
        #expect(object["query"] as? String == "园区")
        #expect(object["total"] as? Int == 1)
        let hits = try #require(object["hits"] as? [[String: Any]])
        #expect(hits.first?["path"] as? String == "corpus/000_d4955fed3019d925.txt")
        #expect((hits.first?["snippet"] as? String)?.contains("園區") == true)
        #expect(hits.first?["rank"] as? Int == 1)
        #expect(hits.first?["score"] is Double)
    }

    @Test func exitStatusesFollowRipgrep() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        let none = try CLI.run(["量子计算机"], in: dir.path)
        #expect(none.status == 1)
        #expect(none.stdout.isEmpty)
        let missing = try CLI.run(["--index", "nowhere", "复工"], in: dir.path)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no index at nowhere"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        #expect(try CLI.run(["--no-such-flag", "x"], in: dir.path).status == 2)
        #expect(try CLI.run(["index", "no/such/folder"], in: dir.path).status == 2)
    }

    /// Regression: `--help` once printed the parser's internal help-request error.
    @Test func helpPrintsUsageAndExitsZero() throws {
        let dir = try workspaceWithSampleCorpus()
        for arguments in [["--help"], ["batch", "--help"], ["help", "index"], ["query", "-h"]] {
            let result = try CLI.run(arguments, in: dir.path)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.stdout.contains("USAGE:"), "\(arguments)")
            #expect(!result.stdout.contains("CommandError") && !result.stderr.contains("CommandError"), "\(arguments)")
        }
    }

    @Test func indexReportsAndUpdatesIncrementally() throws {
        let dir = try workspaceWithSampleCorpus()
        dir.write("docs/a.txt", "工業園區建設")
        dir.write("docs/b.md", "# 疫情防控\n复工复产")
        var r = try CLI.run(["index", "docs"], in: dir.path)
        #expect(r.status == 0)
        #expect(r.stdout.contains("added 2, updated 0, removed 0, unchanged 0"))
        r = try CLI.run(["index", "docs"], in: dir.path)
        #expect(r.stdout.contains("added 0, updated 0, removed 0, unchanged 2"))
        dir.remove("docs/a.txt")
        dir.write("docs/b.md", "# 疫情防控\n复工复产，有序推动")
        r = try CLI.run(["index", "docs"], in: dir.path)
        #expect(r.stdout.contains("added 0, updated 1, removed 1, unchanged 0"))
        #expect(try CLI.run(["園區"], in: dir.path).status == 1)
        #expect(try CLI.run(["有序推動"], in: dir.path).status == 0)
        #expect(try CLI.run(["verify"], in: dir.path).status == 0)
        // --stats: where the time went, on stderr; the summary unchanged on stdout.
        r = try CLI.run(["index", "--stats", "--rebuild", "docs"], in: dir.path)
        #expect(r.status == 0)
        #expect(r.stdout.contains("added 1, updated 0, removed 0, unchanged 0"))
        let stats = r.stderr.split(separator: "\n").first { $0.hasPrefix("search: analysis ") }.map(String.init) ?? ""
        #expect(stats.contains("segments written") && stats.contains("merging") && stats.contains("CPU"), "\(r.stderr)")
    }

    @Test func batchAnswersEveryLine() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        let words = ["復工復產", "园区", "黨建", "疫情 防控", "非公企业", "量子", "\"引号\"", "-减号", "100%", "PM2.5"]
        var input = ""
        for i in 0..<1000 { input += (i % 3 == 0 ? "q\(i)\t" : "") + words[i % words.count] + "\n" }
        let json = try CLI.run(["batch", "--no-snippets"], in: dir.path, stdin: input)
        #expect(json.status == 0)
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 1000)
        var parsed = 0
        for (i, line) in lines.enumerated() {
            guard let object = jsonObject(line) else { continue }
            parsed += 1
            #expect(object["qid"] as? String == (i % 3 == 0 ? "q\(i)" : "\(i + 1)"))
        }
        #expect(parsed == 1000)
        // However many threads answer, the answers are the same and in the input's order.
        let withSnippets = try CLI.run(["batch", "--threads", "1"], in: dir.path, stdin: input)
        for threads in ["2", "3"] {
            let parallel = try CLI.run(["batch", "--threads", threads], in: dir.path, stdin: input)
            #expect(parallel.status == 0)
            #expect(parallel.stdout == withSnippets.stdout, "--threads \(threads)")
        }
        #expect(try CLI.run(["batch", "--threads", "1", "--no-snippets"], in: dir.path, stdin: input).stdout == json.stdout)

        let trec = try CLI.run(["batch", "--format", "trec", "-k", "3"], in: dir.path, stdin: "t1\t復工復產\nt2\t园区\n")
        let rows = trec.stdout.split(separator: "\n").map { $0.split(separator: " ") }
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.count == 6 && $0[1] == "Q0" && $0[2] == "000_d4955fed3019d925.txt" && $0[5] == "search" })
    }

    @Test func aSecondWriterExitsAtOnce() throws {
        let dir = try workspaceWithSampleCorpus()
        let seed = try String(contentsOfFile: dir.path + "/corpus/000_d4955fed3019d925.txt", encoding: .utf8)
        for i in 0..<300 { dir.write("many/doc\(i).txt", "第\(i)號 " + seed) }
        let (first, _, _) = try CLI.start(["index", "many"], in: dir.path)
        waitUntilHoldingTheLock(first, index: dir.path + "/index")
        let second = try CLI.run(["index", "many"], in: dir.path)
        let firstStillRunning = first.isRunning
        first.waitUntilExit()
        try #require(firstStillRunning, "the first writer finished before the second started")
        #expect(second.status == 2)
        let message = second.stderr
        #expect(message.contains("index is being updated by process \(first.processIdentifier)"))
        #expect(try CLI.run(["index", "many"], in: dir.path).status == 0)
    }

    @Test func ctrlCStopsCleanlyAndKeepsTheLastCommit() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index", "corpus"], in: dir.path).status == 0)
        let seed = try String(contentsOfFile: dir.path + "/corpus/000_d4955fed3019d925.txt", encoding: .utf8)
        for i in 0..<400 { dir.write("corpus/more\(i).txt", "第\(i)號 " + seed) }
        let (process, _, err) = try CLI.start(["index", "corpus"], in: dir.path)
        waitUntilHoldingTheLock(process, index: dir.path + "/index")
        usleep(100_000)
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGINT)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(wasRunning, "indexing finished before it could be interrupted")
        #expect(process.terminationStatus == 130)
        #expect(message.contains("interrupted; the index keeps its last complete commit"))
        // The last commit (one document) is intact and no stray segment is left.
        let count = try CLI.run(["-c", "復工復產"], in: dir.path)
        #expect(count.stdout == "1\n")
        #expect(try CLI.run(["verify"], in: dir.path).status == 0)
    }

    /// SIGKILL during `search index` must leave an index that opens and answers.
    @Test func killedIndexingLeavesAWorkingIndex() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        let seed = try String(contentsOfFile: dir.path + "/corpus/000_d4955fed3019d925.txt", encoding: .utf8)
        for i in 0..<150 { dir.write("more/doc\(i).txt", "第\(i)號 " + seed) }
        var killedMidRun = 0
        for attempt in 0..<4 {
            for i in 0..<10 { dir.write("more/doc\(i).txt", "第\(attempt)輪修改 \(i) " + seed) }
            let (process, _, _) = try CLI.start(["index", "corpus", "more"], in: dir.path)
            usleep(UInt32(150_000 + attempt * 120_000))
            if process.isRunning { killedMidRun += 1 }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let verify = try CLI.run(["verify"], in: dir.path)
            #expect(verify.status == 0, "\(verify.stderr)")
            let query = try CLI.run(["復工復產"], in: dir.path)
            #expect(query.status == 0, "\(query.stderr)")
        }
        #expect(killedMidRun > 0)
        // The next writer finishes the job and cleans up.
        #expect(try CLI.run(["index", "corpus", "more"], in: dir.path).status == 0)
        let count = try CLI.run(["--json", "-k", "0", "復工復產"], in: dir.path)
        #expect(jsonObject(Substring(count.stdout.trimmingCharacters(in: .newlines)))?["total"] as? Int == 151)
    }
}

@Suite struct AnalyzeAndEvalCommandTests {
    @Test func analyzePrintsTokensWithOriginalOffsets() throws {
        let dir = TemporaryDirectory("search-cli")
        let out = try CLI.run(["analyze", "--json"], in: dir.path, stdin: "復(fù)工 PM2.5\n園區\n")
        #expect(out.status == 0)
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(jsonObject(lines[0]))
        #expect(first["text"] as? String == "复工 pm2.5")
        let tokens = try #require(first["tokens"] as? [[String: Any]])
        #expect(tokens.first?["term"] as? String == "复工")
        #expect(tokens.first?["start"] as? Int == 0)
        #expect(tokens.first?["end"] as? Int == 11)  // 復(fù)工: the annotation lies inside the token
        #expect(Set(tokens.compactMap { $0["kind"] as? String }) == ["subword", "latin"])
    }

    @Test func evalScoresAJudgedCollection() throws {
        let dir = TemporaryDirectory("search-cli")
        dir.write("c/laws.jsonl", """
        {"_id": "a1", "title": "劳动合同法第十条", "text": "建立劳动关系，应当订立书面劳动合同。"}
        {"_id": "a2", "title": "公司法第三条", "text": "公司是企业法人，有独立的法人财产。"}
        {"_id": "a3", "title": "民法典第五条", "text": "民事主体从事民事活动，应当遵循自愿原则。"}
        """)
        dir.write("q.tsv", "q1\t要不要签劳动合同\nq2\t公司的财产\n")
        dir.write("r.tsv", "query-id\tcorpus-id\tscore\nq1\ta1\t1\nq2\ta2\t1\n")
        #expect(try CLI.run(["index", "c"], in: dir.path).status == 0)
        let out = try CLI.run(["eval", "--queries", "q.tsv", "--qrels", "r.tsv"], in: dir.path)
        #expect(out.status == 0)
        #expect(out.stdout.contains("nDCG@10   1.0000"))
        #expect(out.stdout.contains("Recall@100 1.0000"))
        // A subset of the questions is measured on its own: q2's judgement is left out, not
        // counted as a question that found nothing (which would halve every figure).
        dir.write("q1.tsv", "q1\t要不要签劳动合同\n")
        let subset = try CLI.run(["eval", "--queries", "q1.tsv", "--qrels", "r.tsv"], in: dir.path)
        #expect(subset.stdout.contains("queries: 1 judged, 1 run"))
        #expect(subset.stdout.contains("nDCG@10   1.0000"))
        // A judged question that finds nothing still scores 0.
        dir.write("q3.tsv", "q1\t要不要签劳动合同\nq2\t量子纠缠\n")
        let missing = try CLI.run(["eval", "--queries", "q3.tsv", "--qrels", "r.tsv"], in: dir.path)
        #expect(missing.stdout.contains("nDCG@10   0.5000"))
    }
}

@Suite struct QueryLanguageCommandTests {
    @Test func badQueriesExitTwoAndBatchKeepsPlainTextByDefault() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        let bad = try CLI.run(["園區 \"復工"], in: dir.path)
        #expect(bad.status == 2)
        #expect(bad.stderr == "search: bad query: unbalanced quote at column 4\n")
        #expect(try CLI.run(["--", "-園區"], in: dir.path).status == 1)  // excluded everywhere
        #expect(try CLI.run(["園區 -量子"], in: dir.path).status == 0)
        let plain = try CLI.run(["batch", "--no-snippets"], in: dir.path, stdin: "\"園區\" -量子\n")
        #expect(jsonObject(Substring(plain.stdout.trimmingCharacters(in: .newlines)))?["total"] as? Int == 1)
        let syntax = try CLI.run(["batch", "--syntax", "--no-snippets"], in: dir.path, stdin: "\"園區\" -量子\n(園區\n")
        let lines = syntax.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(jsonObject(lines[0])?["total"] as? Int == 1)
        #expect((jsonObject(lines[1])?["error"] as? String)?.contains("unbalanced parenthesis at column 1") == true)
    }
}

@Suite struct ResultOptionsTests {
    @Test func countFilesOnlyOffsetAndShow() throws {
        let dir = try workspaceWithSampleCorpus()
        dir.write("corpus/b.txt", "工業園區的建設")
        dir.write("corpus/c.txt", "園區管理")
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        #expect(try CLI.run(["-c", "園區"], in: dir.path).stdout == "3\n")
        let files = try CLI.run(["-l", "園區"], in: dir.path).stdout.split(separator: "\n")
        #expect(Set(files) == ["corpus/000_d4955fed3019d925.txt", "corpus/b.txt", "corpus/c.txt"])
        let all = try CLI.run(["--json", "-k", "3", "園區"], in: dir.path).stdout
        let paged = try CLI.run(["--json", "-k", "1", "--offset", "2", "園區"], in: dir.path).stdout
        let allHits = try #require(jsonObject(Substring(all.trimmingCharacters(in: .newlines)))?["hits"] as? [[String: Any]])
        let pagedHits = try #require(jsonObject(Substring(paged.trimmingCharacters(in: .newlines)))?["hits"] as? [[String: Any]])
        #expect(pagedHits.count == 1)
        #expect(pagedHits[0]["path"] as? String == allHits[2]["path"] as? String)
        #expect(pagedHits[0]["rank"] as? Int == 3)
        let shown = try CLI.run(["show", "corpus/000_d4955fed3019d925.txt"], in: dir.path)
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("title: 趙文榮"))
        #expect(shown.stdout.contains("有序推動復工復產"))
        #expect(!shown.stdout.contains("(fù)"))
        #expect(try CLI.run(["show", "nowhere.txt"], in: dir.path).status == 2)
        let none = try CLI.run(["量子计算机"], in: dir.path)
        #expect(none.stderr.contains("no document"))
    }
}

@Suite struct DateOptionsTests {
    @Test func afterBeforeAndSortByDate() throws {
        let dir = TemporaryDirectory("search-cli")
        dir.write("c/a.txt", "國發〔2019〕3號\n關於園區建設的通知\n2019年5月1日")
        dir.write("c/b.txt", "关于园区管理的意见\n二〇二一年三月五日")
        dir.write("c/c.txt", "中華民國110年1月2日修正\n園區條例")
        dir.write("c/d.txt", "園區，沒有日期")
        #expect(try CLI.run(["index", "c"], in: dir.path).status == 0)
        func docs(_ args: [String]) throws -> [String] {
            try CLI.run(["-l"] + args + ["園區"], in: dir.path).stdout.split(separator: "\n").map { String($0.suffix(5)) }
        }
        #expect(Set(try docs([])) == ["a.txt", "b.txt", "c.txt", "d.txt"])
        #expect(Set(try docs(["--after", "2020"])) == ["b.txt", "c.txt"])
        #expect(try docs(["--before", "2020-12-31"]) == ["a.txt"])
        #expect(try docs(["--sort", "date"]) == ["b.txt", "c.txt", "a.txt", "d.txt"])
        let json = try CLI.run(["--json", "--after", "2019-01", "--before", "2019-06", "園區"], in: dir.path).stdout
        let hit = try #require((jsonObject(Substring(json.trimmingCharacters(in: .newlines)))?["hits"] as? [[String: Any]])?.first)
        #expect(hit["date"] as? String == "2019-05-01")
        #expect(hit["docno"] as? String == "國發〔2019〕3號")
        #expect(try CLI.run(["--after", "soon", "園區"], in: dir.path).status == 2)
    }
}

@Suite struct ColourTests {
    @Test func colourOnlyWhenAskedOrOnATerminal() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        // CLI.run pipes stdout (and sets NO_COLOR): no escape codes.
        #expect(!(try CLI.run(["復工復產"], in: dir.path).stdout.contains("\u{1B}[")))
        #expect(!(try CLI.run(["--color", "auto", "復工復產"], in: dir.path).stdout.contains("\u{1B}[")))
        let forced = try CLI.run(["--color", "always", "復工復產"], in: dir.path).stdout
        #expect(forced.contains("\u{1B}[1;31m復工復產\u{1B}[0m"))
        // On a terminal (a pseudo-terminal from script(1)), colour is on by default.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "'\(CLI.executable)' 復工復產", "/dev/null"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NO_COLOR")
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let onTerminal = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(onTerminal.contains("\u{1B}[1;31m復工復產"))
    }
}

@Suite struct CorruptIndexCommandTests {
    @Test func verifyNamesTheDamageAndRebuildRecovers() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/index").first { $0.hasSuffix(".seg") })
        let path = dir.path + "/index/" + segment
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let verify = try CLI.run(["verify"], in: dir.path)
        #expect(verify.status == 2)
        #expect(verify.stderr.contains(segment))
        #expect(verify.stderr.contains("search index --rebuild"))
        #expect(verify.stderr.split(separator: "\n").count == 1)
        let query = try CLI.run(["復工復產"], in: dir.path)
        #expect(query.status == 0 || (query.status == 2 && query.stderr.contains("search index --rebuild")))
        #expect(try CLI.run(["index", "--rebuild"], in: dir.path).status == 0)
        #expect(try CLI.run(["verify"], in: dir.path).status == 0)
        #expect(try CLI.run(["-c", "復工復產"], in: dir.path).stdout == "1\n")
    }
}

@Suite struct DictionaryCommandTests {
    @Test func indexAnnouncesADictionaryAndQueriesNoteAStaleOne() throws {
        let dir = try workspaceWithSampleCorpus()
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        dir.write("index/dictionary.txt", "復工復產\n《民法典》\n")
        var r = try CLI.run(["復工復產", "-l"], in: dir.path)
        #expect(r.status == 0 && r.stderr.contains("changed since the index was built"))
        r = try CLI.run(["index"], in: dir.path)
        #expect(r.stderr.contains("a dictionary of 1 word; rebuilding the index with it"))
        #expect(r.stderr.contains("1 dictionary entry holds spaces or punctuation and can never match (e.g. 《民法典》)"))
        r = try CLI.run(["復工復產", "-l"], in: dir.path)
        #expect(r.status == 0 && r.stderr.isEmpty)
        r = try CLI.run(["analyze", "--json", "復工復產"], in: dir.path)
        #expect(r.stdout.contains("\"term\":\"复工复产\"") && r.stdout.contains("\"kind\":\"word\""))
        r = try CLI.run(["index", "--dict", "nowhere.txt"], in: dir.path)
        #expect(r.status == 2 && r.stderr.contains("nowhere.txt not found"))
    }

    @Test func segmentCutsLinesAndScoresAgainstGold() throws {
        let dir = TemporaryDirectory("search-cli")
        dir.write("words.txt", "复工复产\n园区\n")
        dir.write("test.txt", "有序推动复工复产\r\n园区建设\r\n")
        dir.write("gold.txt", "有序  推动  复工复产\r\n园区  建设\r\n")
        var r = try CLI.run(["segment", "--dict", "words.txt", "test.txt"], in: dir.path)
        #expect(r.stdout.split(separator: "\n").first == "有序 推动 复工复产")
        r = try CLI.run(["segment", "--dict", "words.txt", "--gold", "gold.txt", "test.txt"], in: dir.path)
        #expect(r.stdout.hasPrefix("P 1.000  R 1.000  F1 1.000  words gold 5 system 5"))
    }

    /// SIGHAN 2005: with each corpus' training words as the dictionary, F1 ≥ 0.85 (the
    /// README's table comes from the same command on the whole test sets).
    @Test func sighanF1WithTrainingWordsReachesTarget() throws {
        let root = SharedData.root + "/data/sighan2005"
        guard FileManager.default.fileExists(atPath: root) else {
            print("skipped: \(root) is absent")
            return
        }
        for (name, gold) in [("pku", "pku_test_gold"), ("cityu", "cityu_test_gold")] {
            let words = "\(root)/gold/\(name)_training_words.utf8"
            let r = try CLI.run(["segment", "--dict", words, "--gold", "\(root)/gold/\(gold).utf8",
                                 "\(root)/testing/\(name)_test.utf8"], in: root)
            let f1 = r.stdout.split(separator: " ").drop { $0 != "F1" }.dropFirst().first.flatMap { Double($0) } ?? 0
            #expect(f1 >= 0.85, "\(name): \(r.stdout)")
        }
    }

    /// Without a dictionary the index cuts Traditional text no worse than ICU alone (ICU on
    /// the unfolded text, `--no-simplify`); cutting it folded, as queries are, is worse.
    @Test func sighanF1WithoutDictionaryMatchesICUAlone() throws {
        let root = SharedData.root + "/data/sighan2005"
        guard FileManager.default.fileExists(atPath: root) else {
            print("skipped: \(root) is absent")
            return
        }
        func f1(_ options: [String]) throws -> Double {
            let r = try CLI.run(["segment"] + options + ["--gold", "\(root)/gold/cityu_test_gold.utf8", "\(root)/testing/cityu_test.utf8"], in: root)
            return r.stdout.split(separator: " ").drop { $0 != "F1" }.dropFirst().first.flatMap { Double($0) } ?? 0
        }
        let icuAlone = try f1(["--no-simplify"]), index = try f1([]), folded = try f1(["--query"])
        #expect(icuAlone > 0.7)
        #expect(index >= icuAlone)
        #expect(folded < index)
    }

    @Test func analyzeCutsTextsAsDocumentsOrWithQueryAsQueries() throws {
        let dir = TemporaryDirectory("search-cli")
        let text = "李鄭屋遊樂場外的露宿者"
        func words(_ options: [String]) throws -> [String] {
            let out = try CLI.run(["analyze", "--json"] + options + [text], in: dir.path)
            let tokens = try #require(jsonObject(Substring(out.stdout.trimmingCharacters(in: .newlines)))?["tokens"] as? [[String: Any]])
            return tokens.filter { $0["kind"] as? String == "word" }.compactMap { $0["term"] as? String }
        }
        #expect(try words([]) == ["游乐场"])
        #expect(try words(["--query"]) == [])
    }
}

@Suite struct SynonymCommandTests {
    /// index/synonyms.txt is read by search, batch and eval; --synonyms FILE replaces it,
    /// --synonyms '' turns it off, and a missing file is an error.
    @Test func synonymsFileIsFoundOrGivenOrTurnedOff() throws {
        let dir = TemporaryDirectory("search-cli")
        dir.write("corpus/a.txt", "出租人应当履行租赁物的维修义务。")
        dir.write("corpus/b.txt", "押金由双方约定。")
        #expect(try CLI.run(["index"], in: dir.path).status == 0)
        #expect(try CLI.run(["-l", "房东"], in: dir.path).status == 1)
        dir.write("index/synonyms.txt", "房东 => 出租人\n坏 词 => 无\n")
        let found = try CLI.run(["-l", "房东"], in: dir.path)
        #expect(found.status == 0 && found.stdout == "corpus/a.txt\n")
        #expect(found.stderr.contains("synonyms.txt line 2") && found.stderr.contains("skipped"))
        #expect(try CLI.run(["stats"], in: dir.path).stdout.contains("synonyms: 1 word from"))
        #expect(try CLI.run(["-l", "--synonyms", "", "房东"], in: dir.path).status == 1)
        dir.write("other.txt", "房东 => 押金\n")
        #expect(try CLI.run(["-l", "--synonyms", "other.txt", "房东"], in: dir.path).stdout == "corpus/b.txt\n")
        let missing = try CLI.run(["--synonyms", "nowhere.txt", "房东"], in: dir.path)
        #expect(missing.status == 2 && missing.stderr.contains("nowhere.txt not found"))
        let batch = try CLI.run(["batch", "--format", "trec"], in: dir.path, stdin: "q1\t房东\n")
        #expect(batch.stdout.hasPrefix("q1 Q0 a.txt 1 "))
    }
}

/// docs/FORMAT.md is enough to read an index: scripts/read-index.py, written from that page
/// alone, decodes every part of an index and finds what the engine finds.
@Suite struct IndependentReaderTests {
    static var python: String? {
        ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func read(_ arguments: [String], python: String) throws -> CLI.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [SharedData.repositoryRoot + "/scripts/read-index.py"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                          stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// An index with a deletion file, a term in more than 128 documents (a full block and a
    /// skip entry), documents in several folders and a collection's lines.
    @Test func independentReaderReadsTheIndex() throws {
        guard let python = Self.python else {
            print("skipped: no python3 to run scripts/read-index.py")
            return
        }
        let dir = TemporaryDirectory("search-reader")
        var expected: [String: Int] = [:]  // DOCID → occurrences of 复工
        for i in 0..<300 {
            let name = "sub\(i % 3)/doc\(i).txt"
            if i % 2 == 0 {
                dir.write("docs/" + name, "第\(i)号：有序推动" + String(repeating: "复工复产，", count: i % 5 + 1))
                if i >= 4 { expected[name] = i % 5 + 1 }
            } else {
                dir.write("docs/" + name, "第\(i)号：經濟社會發展 plan \(i)")
            }
        }
        dir.write("docs/laws.jsonl", "{\"_id\": \"a1\", \"title\": \"劳动合同法第十条\", \"text\": \"复工前应当订立书面劳动合同。\"}\n{\"_id\": \"a2\", \"text\": \"其他\"}\n")
        expected["a1"] = 1
        let index = dir.path + "/index"
        try #require(CLI.run(["index", "--index", index, "docs"], in: dir.path).status == 0)
        // A changed and a deleted document: the first segment gets a deletion file.
        dir.write("docs/sub0/doc0.txt", "已经改写")
        dir.remove("docs/sub2/doc2.txt")
        try #require(CLI.run(["index", "--index", index, "docs"], in: dir.path).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: index).contains { $0.hasSuffix(".del") })

        let check = try read([index, "--check"], python: python)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("ok: 2 segments, 301 live documents"), "\(check.stdout)")

        let listed = try read([index, "--term", "复工"], python: python)
        #expect(listed.status == 0, "\(listed.stderr)")
        var found: [String: Int] = [:]
        for line in listed.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let positions = fields[2].split(separator: " ").map { Int($0)! }
            #expect(positions.count == Int(fields[1])! && positions == positions.sorted() && Set(positions).count == positions.count)
            found[String(fields[0])] = Int(fields[1])!
        }
        #expect(found == expected)
        let counted = try CLI.run(["--index", index, "-c", "复工"], in: dir.path)
        #expect(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(expected.count))
    }
}
