/// A binary min-heap by `isBefore`: the merge of sorted runs in `ReportBacklog` takes its next
/// element from it.
struct MinHeap<Element> {
    private var elements: [Element]
    private let isBefore: (Element, Element) -> Bool

    init(_ elements: [Element], by isBefore: @escaping (Element, Element) -> Bool) {
        self.elements = elements
        self.isBefore = isBefore
        for index in stride(from: elements.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard isBefore(elements[child], elements[parent]) else { return }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    var isEmpty: Bool { elements.isEmpty }

    mutating func popFirst() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let first = elements.removeLast()
        siftDown(0)
        return first
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < elements.count else { return }
            let right = left + 1
            let child = right < elements.count && isBefore(elements[right], elements[left]) ? right : left
            guard isBefore(elements[child], elements[parent]) else { return }
            elements.swapAt(child, parent)
            parent = child
        }
    }
}
