internal import FolioGit
import FolioS3
import Foundation
import Logging

/// Wiring: opening a store from its configuration, choosing the catalog and the mirror.
extension DocumentStore {
    /// Opens the store, creating the repository and catalog if needed, and repairs what a crash left
    /// behind: commits the catalog has not seen are ingested and pending mirror writes are retried.
    ///
    /// - Parameters:
    ///   - mirror: overrides the mirror the configuration names (nil: use the configuration).
    ///   - background: run the mirror worker on its own thread (a server); without it the caller drains
    ///     the outbox itself with `flushMirror()` (the CLI does after each command).
    ///   - drainMirror: retry pending mirror writes before returning (off for commands that only inspect).
    public static func open(
        _ configuration: StoreConfiguration, logger: Logger, mirror: (any Mirror)? = nil, background: Bool = false, drainMirror: Bool = true
    ) throws -> DocumentStore {
        let repository: Repository
        do {
            repository = try Repository.openOrCreateBare(at: configuration.repositoryPath, branch: configuration.branch)
        } catch {
            throw StoreError(.unavailable, "cannot open the repository at \(configuration.repositoryPath): \(error)", cause: error)
        }
        let catalog = try openCatalog(configuration.databaseURL, poolSize: configuration.databasePoolSize, logger: logger)
        let chosenMirror = try mirror ?? makeMirror(configuration)
        if let chosenMirror {
            do {
                try chosenMirror.check()
            } catch {
                // Not fatal: saves go to git and wait in the outbox until the mirror answers.
                logger.error("the mirror is not usable; saves will be kept and mirrored once it is", metadata: [
                    "mirror": "\(chosenMirror.description)", "error": "\(error)",
                ])
            }
        }
        let store = try DocumentStore(configuration: configuration, catalog: catalog, mirror: chosenMirror, logger: logger)
        // Before anything is written: what killed writers left behind goes (ref locks go at the next save).
        store.leftovers.clean()
        try store.reconcile(using: repository)
        if background {
            store.mirrorWorker?.start()
            store.packMaintainer.start()
        }
        // A start is the moment to retry everything pending, whatever its backoff says.
        if drainMirror { store.mirrorWorker?.drain(now: .distantFuture) }
        return store
    }

    /// The catalog `url` names. A damaged SQLite file is moved aside and replaced by an empty catalog,
    /// which the open that follows rebuilds from git — loudly, since legacy rows live only in the old file.
    static func openCatalog(_ url: String, poolSize: Int, logger: Logger) throws -> any Catalog {
        if let path = StoreConfiguration.sqlitePath(of: url) {
            let (catalog, movedAside) = try SQLiteCatalog.openOrReplaceDamaged(path: path)
            if let movedAside {
                logger.critical("the catalog was damaged: moved it aside and rebuilding it from git", metadata: [
                    "catalog": "\(path)", "damaged_copy": "\(movedAside)",
                    "note": "legacy rows never saved through Folio are only in the damaged copy; import them again",
                ])
            }
            return catalog
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            // No damaged-file handling here: a PostgreSQL catalog that fails its check is reported, and
            // `folio reindex` (or an operator) decides; its legacy rows must not be dropped silently.
            return try PostgresCatalog(url: url, poolSize: poolSize)
        }
        throw StoreError.invalid(
            "FOLIO_DATABASE_URL", "FOLIO_DATABASE_URL '\(PostgresCatalog.redacted(url))' is not understood; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
    }

    static func makeMirror(_ configuration: StoreConfiguration) throws -> (any Mirror)? {
        switch configuration.mirrorKind {
        case .local: return LocalMirror(mediaRoot: configuration.mediaRoot)
        case .none: return nil
        case .s3: return makeS3Mirror(configuration.s3)
        }
    }

    /// The S3 mirror, or a stand-in that reports why it cannot be used: a missing setting must not stop
    /// saves (git and the outbox keep them), but every status and readiness check must say what is wrong.
    static func makeS3Mirror(_ settings: StoreConfiguration.S3Settings) -> any Mirror {
        guard let bucket = settings.bucket else {
            return UnavailableMirror(reason: "FILE_STORAGE_TYPE=s3 but AWS_STORAGE_BUCKET_NAME is not set")
        }
        guard let accessKeyID = settings.accessKeyID, let secret = settings.secretAccessKey else {
            return UnavailableMirror(reason: "FILE_STORAGE_TYPE=s3 but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set")
        }
        do {
            let client = try S3Client(configuration: S3Configuration(
                bucket: bucket, accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: settings.sessionToken,
                region: settings.region, endpoint: settings.endpoint, requestTimeout: settings.requestTimeout))
            return S3Mirror(client: client, prefix: settings.prefix, gzipAbove: settings.gzipAbove)
        } catch {
            return UnavailableMirror(reason: "the S3 settings are not usable: \(error)")
        }
    }
}
