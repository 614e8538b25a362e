import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookProviders
import TaskhookState

/// A submit's two registrations with taskhookd: before the provider is called (so a callback that
/// beats the answer, or a submit that dies after it, is never a task nobody expects), then binding
/// the provider's task id and status URLs to it.
struct SubmitRegistration {
    let control: ControlEndpoint
    let registration: ExpectRecord

    /// Registers, or exits: 69 when taskhookd cannot be reached (nothing is sent to the provider
    /// then), 65 when it refuses (a provider it knows neither as a built-in profile nor as a route's name).
    func register() throws -> PendingRegistration {
        let response: ControlResponse
        do {
            response = try ControlConnection.post(control, ControlTarget.expect, body: registration.json.bytes)
        } catch {
            printError(
                "taskhook submit: \(error); nothing was sent to the provider (a task taskhookd does not expect "
                    + "could end unnoticed)")
            throw ExitStatus.unavailable
        }
        guard response.status == 200 || response.status == 201 else {
            throw registrationError(response, command: "submit")
        }
        do {
            return try PendingRegistration.parse(response.body)
        } catch {
            printError("taskhook submit: \(error)")
            throw ExitStatus.unavailable
        }
    }

    /// Withdraws the registration after the provider refused the task, so taskhookd does not keep
    /// it until its deadline and then warn of a submit that died. Best effort: a registration that
    /// cannot be withdrawn now is still dropped at its deadline.
    func withdraw() {
        var withdrawal = ExpectRecord(provider: registration.provider, registration: registration.registration)
        withdrawal.withdrawn = true
        guard let response = try? ControlConnection.post(control, ControlTarget.expect, body: withdrawal.json.bytes),
            response.status == 200 || response.status == 201
        else {
            printError("taskhook submit: the registration stays until its deadline (it could not be withdrawn now)")
            return
        }
    }

    /// Binds the provider's task to the registration. The task is running at the provider by now,
    /// so a daemon that is restarting is given `patience` (retried with a doubling pause); one that
    /// still does not answer leaves the registration to its deadline, and the command to bind by
    /// hand is printed.
    func bind(_ task: SubmittedTask, patience: Duration = .seconds(30)) throws {
        let binding = ExpectRecord(
            provider: registration.provider, id: task.taskID, registration: registration.registration,
            statusURL: task.statusURL, resultURL: task.resultURL)
        let deadline = ContinuousClock.now + patience
        var pause = Duration.milliseconds(250)
        var failure = ""
        while true {
            do {
                let response = try ControlConnection.post(control, ControlTarget.expect, body: binding.json.bytes)
                if response.status == 200 || response.status == 201 { return }
                guard response.status == 503 else { throw registrationError(response, command: "submit") }
                failure = "taskhookd is busy or stopping (\(response.message))"
            } catch let error as ControlError {
                failure = error.description
            }
            guard ContinuousClock.now + pause < deadline else { break }
            Thread.sleep(forTimeInterval: Double(pause.milliseconds) / 1000)
            pause = min(pause * 2, .seconds(5))
        }
        let urls = " --poll-url \(task.statusURL)" + (task.resultURL.map { " --result-url \($0)" } ?? "")
        printError(
            "taskhook submit: the provider accepted task \(task.taskID) but taskhookd could not be told: \(failure). "
                + "Register it with: taskhook expect \(registration.provider) \(task.taskID) --endpoint "
                + "\(registration.endpoint ?? "?")\(urls)")
        throw ExitStatus.unavailable
    }
}
