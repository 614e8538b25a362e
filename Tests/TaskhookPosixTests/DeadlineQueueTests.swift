import Testing

@testable import TaskhookPosix

@Suite struct DeadlineQueueTests {
    func at(_ ms: UInt64) -> Instant { Instant(nanoseconds: ms * 1_000_000) }

    @Test func expiredKeysComeOutInDeadlineOrder() {
        var queue = DeadlineQueue()
        queue.set(3, to: at(30))
        queue.set(1, to: at(10))
        queue.set(2, to: at(20))
        var order: [Int] = []
        while let key = queue.popExpired(now: at(100)) { order.append(key) }
        #expect(order == [1, 2, 3])
        #expect(queue.isEmpty)
    }

    @Test func nothingPopsBeforeItsDeadline() {
        var queue = DeadlineQueue()
        queue.set(1, to: at(50))
        #expect(queue.popExpired(now: at(49)) == nil)
        #expect(queue.popExpired(now: at(50)) == 1)
    }

    @Test func movingADeadlineKeepsOneEntryPerKey() {
        var queue = DeadlineQueue()
        queue.set(1, to: at(10))
        queue.set(2, to: at(20))
        queue.set(1, to: at(30))  // later
        #expect(queue.count == 2)
        #expect(queue.earliest == at(20))
        queue.set(1, to: at(5))  // earlier
        #expect(queue.count == 2)
        #expect(queue.popExpired(now: at(100)) == 1)
        #expect(queue.popExpired(now: at(100)) == 2)
    }

    @Test func removedKeysNeverFire() {
        var queue = DeadlineQueue()
        for k in 0..<100 { queue.set(k, to: at(UInt64(100 - k))) }
        for k in stride(from: 0, to: 100, by: 2) { queue.remove(k) }
        var fired: [Int] = []
        while let key = queue.popExpired(now: at(1000)) { fired.append(key) }
        #expect(fired == stride(from: 99, through: 1, by: -2).map { $0 })
    }

    @Test func randomOperationsMatchASortedModel() {
        var rng = SystemRandomNumberGenerator()
        var queue = DeadlineQueue()
        var model: [Int: UInt64] = [:]
        for _ in 0..<5000 {
            let key = Int.random(in: 0..<200, using: &rng)
            if Bool.random(using: &rng) {
                let t = UInt64.random(in: 0..<10_000, using: &rng)
                queue.set(key, to: at(t))
                model[key] = t
            } else {
                queue.remove(key)
                model[key] = nil
            }
            #expect(queue.count == model.count)
        }
        var last: UInt64 = 0
        while let key = queue.popExpired(now: at(20_000)) {
            let t = model.removeValue(forKey: key)!
            #expect(t >= last)
            last = t
        }
        #expect(model.isEmpty)
    }
}
