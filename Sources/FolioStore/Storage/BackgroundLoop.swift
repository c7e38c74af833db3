import Foundation
import Synchronization

/// A named thread that runs a body each time it is woken (and, with an interval, at least that often),
/// until stopped. The mirror worker and the pack maintainer share it: their work blocks on disk and
/// network, so it runs on its own thread rather than in Swift's small cooperative pool.
final class BackgroundLoop: Sendable {
    private struct State {
        var wake = false
        var stopping = false
        var running = false
    }

    private let name: String
    private let interval: TimeInterval?
    private let niceness: Int32
    private let state = Mutex(State())
    /// Counts wake-ups; the thread sleeps on it between passes.
    private let wakeups = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// A loop that runs its body when signalled, and every `interval` seconds when one is given. A
    /// positive `niceness` lowers the thread's CPU priority (Linux schedules threads individually), for
    /// work that should yield to saves and reads when the machine is busy.
    init(name: String, interval: TimeInterval? = nil, niceness: Int32 = 0) {
        self.name = name
        self.interval = interval
        self.niceness = niceness
    }

    /// Starts the thread running `body` (once; later calls do nothing).
    func start(_ body: @escaping @Sendable () -> Void) {
        let starts = state.withLock { state in
            guard !state.running, !state.stopping else { return false }
            state.running = true
            return true
        }
        guard starts else { return }
        let thread = Thread { [self] in run(body) }
        thread.name = name
        thread.start()
    }

    /// Asks for one more pass as soon as the current one ends.
    func signal() {
        let wasWaiting = state.withLock { state in
            defer { state.wake = true }
            return !state.wake
        }
        if wasWaiting { wakeups.signal() }
    }

    /// Stops the thread after its current pass and waits for it.
    func stop() {
        let wasRunning = state.withLock { state in
            defer {
                state.stopping = true
                state.running = false
            }
            return state.running
        }
        guard wasRunning else { return }
        wakeups.signal()
        finished.wait()
    }

    private func run(_ body: @Sendable () -> Void) {
        #if os(Linux)
        // On Linux the nice value belongs to the calling thread (who = 0), not the whole process. Best
        // effort: if it cannot be lowered the work still runs, only less politely.
        if niceness > 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
        while true {
            if let interval {
                _ = wakeups.wait(timeout: .now() + interval)
            } else {
                wakeups.wait()
            }
            let stop = state.withLock { state in
                state.wake = false
                return state.stopping
            }
            if stop {
                finished.signal()
                return
            }
            body()
        }
    }
}
