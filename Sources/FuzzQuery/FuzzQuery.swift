// libFuzzer target for FuzzEntries.query. Build and run with scripts/fuzz.sh (which compiles
// with -sanitize=fuzzer,address -DFUZZING); a plain build makes a stub that says so.
import FuzzSupport

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntries.query(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

// SwiftPM enters an executable through `<Target>_main`; hand control to libFuzzer.
@_cdecl("FuzzQuery_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc, arguments = argv
    return runDriver(&count, &arguments, fuzzOne)
}
#else
@main
struct Stub {
    static func main() { print("a libFuzzer target: build and run it with scripts/fuzz.sh") }
}
#endif
