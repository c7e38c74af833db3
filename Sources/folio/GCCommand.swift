import ArgumentParser
import FolioStore
import Foundation

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Consolidate the repository's packs into one (safe while saves go on).")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore(drainMirror: false)
            defer { store.close(drainMirror: false) }
            let report = try store.consolidatePacks()
            if options.json { try printJSON(report) } else {
                print("packed \(report.objects) objects: \(report.packsBefore) pack(s) and \(report.looseObjectsBefore) loose object(s) became 1 pack; \(report.bytesBefore) -> \(report.bytesAfter) bytes of packs")
            }
        }
    }
}
