import CSICFuzzTargets
import Foundation

// `csic-fuzz <target> <file or directory>...` replays inputs through a target (each must return, none may
// trap). Built by scripts/fuzz with the Fuzzing trait (`-sanitize=fuzzer,address -DFUZZING`), it is a libFuzzer binary instead
// (Fuzzing.swift): `CSIC_FUZZ_TARGET=<target> csic-fuzz [libFuzzer options] <corpus directory>`.

#if FUZZING
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(runFuzzer(&argc, &argv))
#else
    let arguments = CommandLine.arguments.dropFirst()
    guard let name = arguments.first, let target = FuzzTargets.all[name] else {
        print("usage: csic-fuzz <target> <file or directory>...; targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
        exit(2)
    }
    var inputs = 0
    for path in arguments.dropFirst() {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        let files =
            isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" } : [path]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            target.runBlocking(Array(data))
            inputs += 1
        }
    }
    print("\(name): \(inputs) inputs replayed, none trapped")
#endif
