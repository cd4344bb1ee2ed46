"""billing: the subscription billing demo with monthly timers, written with
the official Python SDK (PyPI apache-flink-statefun 3.3.0), served by aiohttp.

billing/subscription/<customer>
    Subscribe {plan, amount, start}  stores the subscription and schedules the
                                     first BillingDue a month after `start`
                                     (cancellation token "billing")
    BillingDue {cycle, due}          writes an invoice (topic `invoices`) and
                                     asks billing/payments/<customer> to charge it
    PaymentResult {cycle, due, at, attempt, ok}
                                     paid: counts the cycle (state `paid_cycles`)
                                     and schedules the next BillingDue for the
                                     same day next month; failed: retries a day
                                     later (PaymentRetry), up to 3 attempts,
                                     then suspends the subscription
    PaymentRetry {cycle, due, at, attempt}
                                     asks for the payment again
    Cancel {}                        cancels the pending BillingDue
billing/payments/<customer>
    PaymentRequest {...}             charges the customer: declines while
                                     state `declines` (set by DeclineNext
                                     {count}) is above zero, else accepts;
                                     answers the caller with a PaymentResult

Every outcome is a record on the topic `payments`.

Time: the request-reply protocol carries no time, and this process's own
clock is the wall clock, which under `statefun dev --clock virtual` is not the
application's time. So the functions never read a clock: the dates travel in
the messages (`due`, `at`), and every delay is computed from them. A timer
scheduled at `at` for `next_due` then fires exactly at `next_due`, in wall
time as in virtual time.
"""
import calendar
import json
import os
from datetime import date, datetime, timedelta, timezone

from aiohttp import web
from statefun import (IntType, RequestReplyHandler, StatefulFunctions, ValueSpec,
                      egress_message_builder, make_json_type, message_builder)

SUBSCRIBE = make_json_type("billing/Subscribe")
BILLING_DUE = make_json_type("billing/BillingDue")
PAYMENT_REQUEST = make_json_type("billing/PaymentRequest")
PAYMENT_RESULT = make_json_type("billing/PaymentResult")
PAYMENT_RETRY = make_json_type("billing/PaymentRetry")
CANCEL = make_json_type("billing/Cancel")
DECLINE_NEXT = make_json_type("billing/DeclineNext")
SUBSCRIPTION = make_json_type("billing/Subscription")
EGRESS_RECORD = make_json_type("io.statefun.playground/EgressRecord")

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(days=1)
TIMER_TOKEN = "billing"

functions = StatefulFunctions()


def parse_time(text):
    """An ISO date ("2027-01-31") or date-time, as a UTC datetime."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_month(due, day):
    """The same day of the month after `due` (the month's last day when it
    is shorter: the 31st bills on Feb 28)."""
    year, month = (due.year + 1, 1) if due.month == 12 else (due.year, due.month + 1)
    last = calendar.monthrange(year, month)[1]
    return due.replace(year=year, month=month, day=min(day, last))


def emit(context, topic, record):
    # The playground's payload is text: the record as compact JSON.
    context.send_egress(egress_message_builder(
        target_typename="io.statefun.playground/egress",
        value={"topic": topic, "payload": json.dumps(record, separators=(",", ":"))},
        value_type=EGRESS_RECORD))


def schedule_due(context, subscription, cycle, due, now):
    context.send_after(due - now,
                       message_builder(target_typename="billing/subscription",
                                       target_id=context.address.id,
                                       value={"cycle": cycle, "due": iso(due)},
                                       value_type=BILLING_DUE),
                       TIMER_TOKEN)


def request_payment(context, subscription, cycle, due, at, attempt):
    context.send(message_builder(
        target_typename="billing/payments", target_id=context.address.id,
        value={"customer": context.address.id, "cycle": cycle, "due": due, "at": at,
               "attempt": attempt, "amount": subscription["amount"]},
        value_type=PAYMENT_REQUEST))


@functions.bind(typename="billing/subscription",
                specs=[ValueSpec(name="subscription", type=SUBSCRIPTION),
                       ValueSpec(name="paid_cycles", type=IntType)])
async def subscription_fn(context, message):
    subscription = context.storage.subscription
    if message.is_type(SUBSCRIBE):
        request = message.as_type(SUBSCRIBE)
        start = parse_time(request["start"])
        subscription = {"plan": request["plan"], "amount": request["amount"],
                        "day": start.day, "status": "active"}
        context.storage.subscription = subscription
        schedule_due(context, subscription, 1, next_month(start, start.day), start)
        return
    if subscription is None:
        raise ValueError(f"{context.address.id} has no subscription for {message.value_typename()}")
    if message.is_type(CANCEL):
        context.cancel_delayed_message(TIMER_TOKEN)
        subscription["status"] = "cancelled"
        context.storage.subscription = subscription
        emit(context, "payments", {"customer": context.address.id, "status": "cancelled"})
        return
    if subscription["status"] != "active":
        return  # a timer that was already on its way
    if message.is_type(BILLING_DUE):
        request = message.as_type(BILLING_DUE)
        emit(context, "invoices", {"customer": context.address.id, "cycle": request["cycle"],
                                   "due": request["due"], "amount": subscription["amount"]})
        request_payment(context, subscription, request["cycle"], request["due"], request["due"], 1)
    elif message.is_type(PAYMENT_RETRY):
        retry = message.as_type(PAYMENT_RETRY)
        request_payment(context, subscription, retry["cycle"], retry["due"], retry["at"],
                        retry["attempt"])
    elif message.is_type(PAYMENT_RESULT):
        result = message.as_type(PAYMENT_RESULT)
        outcome = {"customer": context.address.id, "cycle": result["cycle"], "at": result["at"],
                   "attempt": result["attempt"]}
        at = parse_time(result["at"])
        if result["ok"]:
            context.storage.paid_cycles = (context.storage.paid_cycles or 0) + 1
            emit(context, "payments", {**outcome, "status": "paid"})
            due = next_month(parse_time(result["due"]), subscription["day"])
            schedule_due(context, subscription, result["cycle"] + 1, due, at)
        elif result["attempt"] < MAX_ATTEMPTS:
            emit(context, "payments", {**outcome, "status": "declined"})
            context.send_after(RETRY_AFTER, message_builder(
                target_typename="billing/subscription", target_id=context.address.id,
                value={"cycle": result["cycle"], "due": result["due"],
                       "at": iso(at + RETRY_AFTER), "attempt": result["attempt"] + 1},
                value_type=PAYMENT_RETRY))
        else:
            subscription["status"] = "suspended"
            context.storage.subscription = subscription
            emit(context, "payments", {**outcome, "status": "suspended"})
    else:
        raise ValueError(f"unexpected message type {message.value_typename()}")


@functions.bind(typename="billing/payments", specs=[ValueSpec(name="declines", type=IntType)])
async def payments_fn(context, message):
    if message.is_type(DECLINE_NEXT):
        context.storage.declines = message.as_type(DECLINE_NEXT)["count"]
        return
    request = message.as_type(PAYMENT_REQUEST)
    declines = context.storage.declines or 0
    if declines > 0:
        context.storage.declines = declines - 1
    context.send(message_builder(
        target_typename=context.caller.typename, target_id=context.caller.id,
        value={"cycle": request["cycle"], "due": request["due"], "at": request["at"],
               "attempt": request["attempt"], "ok": declines == 0},
        value_type=PAYMENT_RESULT))


handler = RequestReplyHandler(functions)


async def statefun_endpoint(request):
    reply = await handler.handle_async(await request.read())
    return web.Response(body=reply, content_type="application/octet-stream")


if __name__ == "__main__":
    app = web.Application()
    app.add_routes([web.post("/statefun", statefun_endpoint)])
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    print(f"billing functions listening on {host}:{port}", flush=True)
    web.run_app(app, host=host, port=port, print=None)
