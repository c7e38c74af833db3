import Foundation

/// Where Folio keeps things and how it behaves, read from the environment the old system used plus
/// `FOLIO_*` variables; every field can also be set directly (the CLI's flags do).
public struct StoreConfiguration: Sendable {
    /// Which mirror to keep the current files in.
    public enum MirrorKind: String, Sendable { case local, s3, none }

    /// The bare repository (`FOLIO_REPO_PATH`, default `./data/folio.git`).
    public var repositoryPath: String
    /// The catalog (`FOLIO_DATABASE_URL`, default `sqlite:./data/folio.sqlite`).
    public var databaseURL: String
    /// Connections a PostgreSQL catalog keeps open at most (`FOLIO_DATABASE_POOL_SIZE`, default 10).
    public var databasePoolSize = 10
    /// The old system's database (`FOLIO_LEGACY_DATABASE_URL`): files never saved through Folio are read
    /// from its tables until their first save. nil: no fallback.
    public var legacyDatabaseURL: String?
    /// The old system's table and column names (`FOLIO_LEGACY_*`, Django's by default).
    public var legacyTables = LegacyTables()
    /// `FILE_STORAGE_TYPE`: `local` (default) or `s3`.
    public var mirrorKind: MirrorKind
    /// `MEDIA_ROOT` for the local mirror (default `./data/media`).
    public var mediaRoot: String
    /// `FOLIO_MAX_CONTENT_BYTES` (default 10 MiB): larger content is refused.
    public var maxContentBytes: Int
    /// `FOLIO_MAX_BATCH_BYTES` (default 32 MiB, or the content limit when that is larger): the most content
    /// one batch save may carry in all its files; each file also stays within `maxContentBytes`.
    public var maxBatchContentBytes = 32 * 1024 * 1024
    /// The committer identity (`FOLIO_COMMITTER_NAME` / `FOLIO_COMMITTER_EMAIL`).
    public var committerName: String
    /// The committer e-mail.
    public var committerEmail: String
    /// The branch every save goes to.
    public var branch: String
    /// The most saves one group commit takes (`FOLIO_MAX_BATCH`, default 256; 1 = one commit per write).
    public var maxBatch: Int
    /// Write each batch as one pack (default) instead of loose, individually fsynced objects.
    public var packedWrites: Bool
    /// Past this many packs a running server consolidates them into one (`FOLIO_MAX_PACKS`, default 64).
    public var maxPacks: Int
    /// Bytes of recently loaded envelopes kept in memory (`FOLIO_CACHE_BYTES`, default 32 MiB; 0 turns it off).
    public var envelopeCacheBytes: Int
    /// The secret that signs presigned local URLs (`FOLIO_PRESIGN_SECRET_FILE`, default: `presign.secret`
    /// beside the repository), generated on first use.
    public var presignSecretPath: String
    /// Default lifetime of presigned URLs in seconds (`FOLIO_PRESIGN_EXPIRES`, default 3600, at most 604800).
    public var presignExpires: Int
    /// S3 settings, used when `mirrorKind` is `.s3`.
    public var s3: S3Settings
    /// Hand out S3's own presigned URLs instead of Folio's (`FOLIO_PRESIGN_DIRECT_S3=1`). They offload
    /// downloads to S3 but serve whatever the object holds when fetched, which may be a later version;
    /// Folio's URLs name a commit and serve exactly that version.
    public var presignDirectS3 = false

    /// The S3 mirror's settings (the old system's `AWS_*` variables).
    public struct S3Settings: Sendable {
        /// `AWS_STORAGE_BUCKET_NAME`.
        public var bucket: String?
        /// `AWS_ACCESS_KEY_ID`.
        public var accessKeyID: String?
        /// `AWS_SECRET_ACCESS_KEY`.
        public var secretAccessKey: String?
        /// `AWS_SESSION_TOKEN`.
        public var sessionToken: String?
        /// `AWS_S3_REGION_NAME` (default us-east-1).
        public var region: String
        /// `AWS_S3_PROJECT_PREFIX` (default `projects`).
        public var prefix: String
        /// `AWS_S3_ENDPOINT_URL`: any S3-compatible server, addressed path-style.
        public var endpoint: String?
        /// Envelopes above this many bytes are stored gzip-compressed (`FOLIO_S3_GZIP_ABOVE`, default 64 KiB).
        public var gzipAbove: Int
        /// Seconds one S3 request may take (`FOLIO_S3_TIMEOUT`, default 30).
        public var requestTimeout: Double
    }

    /// The defaults, overridden by whatever `environment` sets.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreConfiguration {
        func int(_ name: String, _ fallback: Int) throws -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), value > 0 else {
                throw StoreError.invalid(name, "\(name)=\(text) is not a positive whole number")
            }
            return value
        }
        let kindText = environment["FILE_STORAGE_TYPE"].flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "local"
        guard let kind = MirrorKind(rawValue: kindText) else {
            throw StoreError.invalid("FILE_STORAGE_TYPE", "FILE_STORAGE_TYPE=\(kindText) is not known; use 'local' or 's3'")
        }
        let repositoryPath = environment["FOLIO_REPO_PATH"].nonEmpty ?? "./data/folio.git"
        let presignExpires = try int("FOLIO_PRESIGN_EXPIRES", 3600)
        guard presignExpires <= 604_800 else {
            throw StoreError.invalid("FOLIO_PRESIGN_EXPIRES", "FOLIO_PRESIGN_EXPIRES=\(presignExpires) is over the 604800-second (7-day) limit")
        }
        var configuration = StoreConfiguration(
            repositoryPath: repositoryPath,
            databaseURL: environment["FOLIO_DATABASE_URL"].nonEmpty ?? "sqlite:./data/folio.sqlite",
            mirrorKind: kind,
            mediaRoot: environment["MEDIA_ROOT"].nonEmpty ?? "./data/media",
            maxContentBytes: try int("FOLIO_MAX_CONTENT_BYTES", 10 * 1024 * 1024),
            committerName: environment["FOLIO_COMMITTER_NAME"].nonEmpty ?? "Folio",
            committerEmail: environment["FOLIO_COMMITTER_EMAIL"].nonEmpty ?? "folio@folio.invalid",
            branch: "main",
            maxBatch: try int("FOLIO_MAX_BATCH", 256),
            packedWrites: environment["FOLIO_PACKED_WRITES"] != "0",
            maxPacks: try int("FOLIO_MAX_PACKS", 64),
            envelopeCacheBytes: environment["FOLIO_CACHE_BYTES"] == "0" ? 0 : try int("FOLIO_CACHE_BYTES", 32 * 1024 * 1024),
            presignSecretPath: environment["FOLIO_PRESIGN_SECRET_FILE"].nonEmpty
                ?? ((repositoryPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("presign.secret"),
            presignExpires: presignExpires,
            s3: S3Settings(
                bucket: environment["AWS_STORAGE_BUCKET_NAME"].nonEmpty,
                accessKeyID: environment["AWS_ACCESS_KEY_ID"].nonEmpty,
                secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"].nonEmpty,
                sessionToken: environment["AWS_SESSION_TOKEN"].nonEmpty,
                region: environment["AWS_S3_REGION_NAME"].nonEmpty ?? "us-east-1",
                prefix: environment["AWS_S3_PROJECT_PREFIX"].nonEmpty ?? "projects",
                endpoint: environment["AWS_S3_ENDPOINT_URL"].nonEmpty,
                gzipAbove: try int("FOLIO_S3_GZIP_ABOVE", 64 * 1024),
                requestTimeout: Double(try int("FOLIO_S3_TIMEOUT", 30))))
        configuration.presignDirectS3 = environment["FOLIO_PRESIGN_DIRECT_S3"] == "1"
        configuration.databasePoolSize = try int("FOLIO_DATABASE_POOL_SIZE", 10)
        configuration.legacyDatabaseURL = environment["FOLIO_LEGACY_DATABASE_URL"].nonEmpty
        configuration.legacyTables = LegacyTables.fromEnvironment(environment)
        configuration.maxBatchContentBytes = try int("FOLIO_MAX_BATCH_BYTES", max(configuration.maxBatchContentBytes, configuration.maxContentBytes))
        return configuration
    }

    /// A configuration rooted in one folder: the repository, catalog and local mirror inside it.
    public static func rooted(at folder: String) -> StoreConfiguration {
        var configuration = (try? fromEnvironment([:]))!
        configuration.repositoryPath = folder + "/folio.git"
        configuration.databaseURL = "sqlite:" + folder + "/folio.sqlite"
        configuration.mediaRoot = folder + "/media"
        configuration.presignSecretPath = folder + "/presign.secret"
        return configuration
    }

    /// The branch's full reference name.
    public var branchReference: String { "refs/heads/\(branch)" }

    /// The file a `sqlite:PATH` (or `sqlite://PATH`) catalog URL names; nil for other URLs.
    public static func sqlitePath(of url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        let path = url.dropFirst("sqlite:".count)
        return String(path.hasPrefix("//") ? path.dropFirst(2) : path)
    }
}

extension Optional where Wrapped == String {
    /// nil for nil or an empty string, so `VAR=` means the default.
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
