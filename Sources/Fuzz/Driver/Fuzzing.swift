#if FUZZING
    import CSICFuzzTargets
    import Foundation

    // Built with -sanitize=fuzzer: main.swift hands the command line to libFuzzer's driver, which calls the
    // target named by CSIC_FUZZ_TARGET for every input (libFuzzer owns the command line).

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzer(
        _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = fuzzOneInput
    ) -> Int32

    /// The target named by CSIC_FUZZ_TARGET (a global in this file: initialised on first use).
    let fuzzTarget: FuzzTarget = {
        guard let name = ProcessInfo.processInfo.environment["CSIC_FUZZ_TARGET"], let target = FuzzTargets.all[name] else {
            FileHandle.standardError.write(
                Data("set CSIC_FUZZ_TARGET to one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()

    /// One input; also exported under the name libFuzzer's own `main` (linked in, never run) refers to.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        fuzzTarget.runBlocking(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
#endif
