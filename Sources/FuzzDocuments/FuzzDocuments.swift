// libFuzzer target for FuzzEntries.documents: scripts/fuzz.sh builds it with
// -sanitize=fuzzer,address -DFUZZING; a plain build makes a stub that says so.
import FuzzSupport

#if FUZZING
// SwiftPM enters an executable through `<Target>_main`.
@_cdecl("FuzzDocuments_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, FuzzEntries.documents)
}
#else
@main
struct Stub {
    static func main() { print("a libFuzzer target: build and run it with scripts/fuzz.sh") }
}
#endif
