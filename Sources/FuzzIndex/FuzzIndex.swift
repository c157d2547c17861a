// libFuzzer target for FuzzEntries.indexReader: scripts/fuzz.sh builds it with
// -sanitize=fuzzer,address -DFUZZING; a plain build makes a stub that says so.
import FuzzSupport

#if FUZZING
// SwiftPM enters an executable through `<Target>_main`.
@_cdecl("FuzzIndex_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, FuzzEntries.indexReader)
}
#else
@main
struct Stub {
    static func main() { print("a libFuzzer target: build and run it with scripts/fuzz.sh") }
}
#endif
