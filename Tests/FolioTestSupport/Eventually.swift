/// Checks `condition` every `interval` until it holds or `timeout` has passed, and says whether it held.
///
/// The one way tests wait for something that happens in the background (a process printing a line, a
/// file appearing, a socket closing): poll for it with a deadline rather than sleep a fixed time and hope.
/// The condition is checked at least once, even with a zero timeout; callers turn `false` into a
/// failure that says what did not happen in time.
public func eventually(
    timeout: Duration = .seconds(10),
    interval: Duration = .milliseconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}
