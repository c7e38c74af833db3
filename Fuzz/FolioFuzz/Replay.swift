import Foundation

/// Built with libFuzzer (scripts/fuzz.sh: `-sanitize=fuzzer -DFUZZING`), `folio-fuzz` hands its
/// arguments to libFuzzer's driver. Without it (a normal build), `folio-fuzz FILE...` runs each file
/// through the same checks once: the kept corpus is a regression suite that every test run replays.
@main
struct Replay {
    static func main() {
        #if FUZZING
        // SwiftPM names the executable's entry point itself, so libFuzzer's own main is not used: its
        // driver is called from here instead.
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in folioFuzz(data, size) })
        #else
        replay()
        #endif
    }

    static func replay() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("folio-fuzz: \(path) does not exist\n".utf8))
                exit(2)
            }
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { raw in
                    _ = folioFuzz(raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
                }
                count += 1
            }
        }
        print("folio-fuzz: replayed \(count) input(s), all accepted or refused cleanly")
    }
}

#if FUZZING
/// libFuzzer's entry for programs with their own main.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
