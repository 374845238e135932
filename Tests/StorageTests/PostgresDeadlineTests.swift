import Testing

@testable import Storage

/// A call to the server that never answers is abandoned at its limit; one that answers is not.
@Suite struct PostgresDeadlineTests {
    @Test func aCallThatNeverAnswersFailsAtItsLimit() async throws {
        await #expect(throws: PostgresStoreError.timedOut(.milliseconds(200))) {
            try await PostgresDeadline.run(within: .milliseconds(200)) {
                try await withCheckedThrowingContinuation { (_: CheckedContinuation<Int, any Error>) in } // never resumed
            }
        }
        #expect(try await PostgresDeadline.run(within: .seconds(5)) { 42 } == 42)
        await #expect(throws: CancellationError.self) {
            try await PostgresDeadline.run(within: .seconds(5)) { () throws -> Int in throw CancellationError() }
        }
    }
}
