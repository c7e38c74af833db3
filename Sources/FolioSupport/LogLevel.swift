public import Logging
import Foundation

extension Logger.Level {
    /// The level named by `FOLIO_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical), or
    /// `fallback` when it is unset or not a level's name.
    public static func fromEnvironment(default fallback: Logger.Level) -> Logger.Level {
        ProcessInfo.processInfo.environment["FOLIO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? fallback
    }
}
