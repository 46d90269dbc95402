"""Group control: which car answers which landing call, and where each car goes next.

A lift group's controller sees the landing calls (someone waiting on a floor to go up or down), the
car calls (the floors the people aboard asked for) and where each car is and which way it goes. Every
car follows the **collective** rule: it keeps its direction while it has anything to do ahead —
stopping at each floor someone aboard asked for and at each landing call in its direction, while it
has room — goes on to the farthest call ahead in the other direction, reverses there, and otherwise
rests (and, if told to, goes home to its parking floor). The controllers differ in which landing
calls a car may take:

* :class:`CollectiveControl` — group collective control: any car takes any call in its direction on
  its way; an idle car is sent to the nearest call no other idle car has claimed.
* :class:`NearestCar` — each landing call is given, when it is made, to the car with the best
  *figure of suitability* (Barney & dos Santos; CIBSE Guide D): a car coming towards the call in
  the call's direction scores ``N + 2 − d``, one coming towards it the other way or standing idle
  ``N + 1 − d``, one going away ``1`` (``N`` floors in the group's range, ``d`` floors away); only
  that car stops for it.
* :class:`DestinationControl` — destination control: each passenger keys in the floor wanted in the
  lobby and is given a car at once, the one whose estimated cost is lowest: time to reach the
  passenger, plus a stop time for every stop already promised, plus a stop time for each new stop
  the passenger adds — so passengers for the same floors are grouped into the same cars. A car
  takes only its own passengers.

The controller holds the group's waiting queues (one per floor and direction) and the cars'
state; the car processes in :mod:`models.elevators.traffic` ask it where to go and whom to board,
and it wakes an idle car or turns a moving one (``nudge``, true when the car will stop there) when a
new call needs it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

__all__ = ["CarState", "GroupControl", "CollectiveControl", "NearestCar", "DestinationControl", "DISPATCHERS",
           "make_control", "IDLE", "MOVING", "STOPPING", "STOPPED"]

IDLE, MOVING, STOPPING, STOPPED = "idle", "moving", "stopping", "stopped"
UP, DOWN = 1, -1


class CarState:
    """One car as the group controller sees it: where it is, which way it goes, who is aboard."""

    __slots__ = ("id", "index", "group", "spec", "capacity", "serves", "home", "floor", "direction", "aboard",
                 "calls", "state", "origin", "target", "t0", "trip_limit", "wake", "process", "starts",
                 "distance_m", "idle_s", "rest_since", "started_s", "trips", "trip", "claim", "doors_open")

    def __init__(self, car_id: str, index: int, group: str, spec, serves: list[bool], home: int):
        self.id, self.index, self.group, self.spec = car_id, index, group, spec
        self.capacity: int = spec.capacity_persons
        self.serves, self.home = serves, home
        self.floor, self.direction = home, 0
        self.aboard: list[int] = []
        self.calls = [0] * len(serves)
        self.state = IDLE
        self.origin = self.target = home
        self.t0 = 0.0
        self.trip_limit = self.capacity
        self.wake = None
        self.process = None
        self.starts, self.distance_m = 0, 0.0
        self.idle_s, self.rest_since, self.started_s = 0.0, None, 0.0
        self.trips, self.trip = 0, 0
        self.claim: tuple[int, int] | None = None
        self.doors_open = False

    @property
    def load(self) -> int:
        return len(self.aboard)

    @property
    def room(self) -> int:
        return max(0, min(self.capacity, self.trip_limit) - len(self.aboard))


class GroupControl:
    """The collective rule shared by all controllers; subclasses decide which landing calls a car sees.

    ``queues[d][f]`` holds the passengers waiting on floor index ``f`` to travel in direction ``d``
    (``UP`` = 1, ``DOWN`` = −1), first come first served; ``dest`` and ``origin`` are the traffic's
    passenger columns; ``nudge(car, floor)`` is the traffic's way to wake or turn a car.
    """

    name = "collective"

    def __init__(self, n_floors: int, cars: Sequence[CarState], origin: list[int], dest: list[int],
                 nudge: Callable[[CarState, int], bool], stop_s: float, floor_s: float):
        self.n = n_floors
        self.cars = list(cars)
        self.origin, self.dest = origin, dest
        self.nudge = nudge
        self.queues = {UP: [deque() for _ in range(n_floors)], DOWN: [deque() for _ in range(n_floors)]}
        self.stop_s, self.floor_s = stop_s, floor_s   # rough costs for destination control

    # --- what subclasses decide ------------------------------------------------------------------

    def sees(self, car: CarState, f: int, d: int) -> bool:
        """Whether ``car`` should stop for the landing call on floor ``f`` in direction ``d``."""
        return bool(self.queues[d][f])

    def visible(self, car: CarState, d: int) -> Sequence:
        """``sees`` for every floor at once: item ``f`` is truthy when ``car`` should stop for the call on
        floor ``f`` in direction ``d`` (the scans below index it instead of calling ``sees`` per floor)."""
        return self.queues[d]

    def may_reverse_for(self, car: CarState, f: int, d: int) -> bool:
        """Whether ``car`` may run on to floor ``f`` to answer a call in the other direction there."""
        return True

    def may_board(self, car: CarState, p: int) -> bool:
        return True

    def call(self, p: int) -> None:
        """Passenger ``p`` has joined the queue at their origin: register the call."""
        raise NotImplementedError

    def idle_target(self, car: CarState) -> tuple[int, int] | None:
        """(floor, direction) of the call an idle car should go to, or None."""
        raise NotImplementedError

    def left_behind(self, car: CarState, f: int, d: int) -> None:
        """``car`` leaves floor ``f`` full with people still waiting in direction ``d``."""

    def removed(self, car: CarState) -> None:
        """``car`` stopped for good (a power loss): hand its calls to the others."""

    # --- the collective rule ---------------------------------------------------------------------

    def available(self) -> list[CarState]:
        return [c for c in self.cars if c.state != STOPPED]

    def queue_direction(self, p: int) -> int:
        return UP if self.dest[p] > self.origin[p] else DOWN

    def enqueue(self, p: int) -> None:
        self.queues[self.queue_direction(p)][self.origin[p]].append(p)
        self.call(p)

    def take(self, car: CarState, f: int, d: int, room: int) -> list[int]:
        """Pop up to ``room`` passengers ``car`` may board from the queue on ``f`` going ``d``."""
        q = self.queues[d][f]
        if room <= 0 or not q:
            return []
        taken, kept = [], deque()
        serves, dest = car.serves, self.dest
        while q:
            p = q.popleft()
            if len(taken) < room and serves[dest[p]] and self.may_board(car, p):
                taken.append(p)
            else:
                kept.append(p)
        self.queues[d][f] = kept
        self.taken(car, f, d, taken)
        return taken

    def taken(self, car: CarState, f: int, d: int, passengers: list[int]) -> None:
        """Bookkeeping after ``car`` boarded ``passengers`` on ``f`` going ``d``."""

    def work_ahead(self, car: CarState, f: int, d: int) -> bool:
        """Anything for ``car`` beyond floor ``f`` in direction ``d``: a car call or a call it sees."""
        stop = self.n if d == UP else -1
        calls, serves, room = car.calls, car.serves, car.room > 0
        same, other = self.visible(car, d), self.visible(car, -d)
        for g in range(f + d, stop, d):
            if calls[g]:
                return True
            if serves[g] and ((room and same[g]) or (other[g] and self.may_reverse_for(car, g, -d))):
                return True
        return False

    def departure_direction(self, car: CarState, f: int, arrived: int) -> int:
        """The direction ``car`` leaves floor ``f`` in (and boards for), having arrived going ``arrived``."""
        if arrived:
            if self.work_ahead(car, f, arrived) or self.sees(car, f, arrived):
                return arrived
            if self.sees(car, f, -arrived) or self.work_ahead(car, f, -arrived):
                return -arrived
            return 0
        for d in (UP, DOWN):
            if self.sees(car, f, d):
                return d
        return 0

    def _ahead(self, car: CarState, p: int, d: int) -> int | None:
        stop = self.n if d == UP else -1
        calls, serves, room = car.calls, car.serves, car.room > 0
        same, other = self.visible(car, d), self.visible(car, -d)
        reversal = None
        for f in range(p + d, stop, d):
            if calls[f]:
                return f
            if not serves[f]:
                continue
            if room and same[f]:
                return f
            if other[f] and self.may_reverse_for(car, f, -d):
                reversal = f
        return reversal

    def next_stop(self, car: CarState) -> int | None:
        """The next floor ``car`` stops at by the collective rule (setting its direction), or None
        when it has nothing to do (direction 0)."""
        p, d = car.floor, car.direction
        if d:
            for direction in (d, -d):
                f = self._ahead(car, p, direction)
                if f is not None:
                    car.direction = direction
                    return f
        car.direction = 0
        target = self.idle_target(car)
        if target is None:
            return None
        f, call_d = target
        car.direction = (f > p) - (f < p) or call_d
        return f


class CollectiveControl(GroupControl):
    """Group collective control: any car takes any landing call in its direction; an idle car is
    sent to the nearest call that no other idle car has claimed."""

    name = "collective"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.claims: dict[tuple[int, int], CarState] = {}

    def may_reverse_for(self, car, f, d):
        owner = self.claims.get((f, d))
        return owner is None or owner is car

    def call(self, p):
        f, d = self.origin[p], self.queue_direction(p)
        owner = self.claims.get((f, d))
        if len(self.queues[d][f]) > 1 and (owner is None or owner.serves[self.dest[p]]):
            return  # the call is already registered (and its car can take this passenger too)
        self._answer(f, d, self.dest[p])

    def _answer(self, f: int, d: int, dest: int | None = None) -> None:
        """A car already coming this way in this direction takes the call (turned to stop there if it
        still can); otherwise the nearest idle car is woken (of those serving ``dest`` too, if given)."""
        for car in self.cars:
            if (car.state == MOVING and car.direction == d and car.room > 0 and car.serves[f]
                    and (dest is None or car.serves[dest])
                    and (f - car.origin) * d > 0 and (car.target - f) * d >= 0):
                if car.target == f or self.nudge(car, f):
                    return
        best = None
        for car in self.cars:
            if (car.state == IDLE and car.serves[f] and (dest is None or car.serves[dest])
                    and (best is None or abs(car.floor - f) < abs(best.floor - f))):
                best = car
        if best is not None:
            self.nudge(best, f)

    def _can_take_any(self, car: CarState, f: int, d: int) -> bool:
        serves, dest = car.serves, self.dest
        return any(serves[dest[p]] for p in self.queues[d][f])

    def idle_target(self, car):
        best, best_dist = None, None
        for d in (UP, DOWN):
            for f, q in enumerate(self.queues[d]):
                owner = self.claims.get((f, d))
                if (q and car.serves[f] and self._can_take_any(car, f, d)
                        and (owner is None or owner is car
                             or not all(owner.serves[self.dest[p]] for p in q))):
                    dist = abs(f - car.floor)
                    if best_dist is None or dist < best_dist:
                        best, best_dist = (f, d), dist
        if best is not None:
            self._release(car)
            self.claims[best] = car
            car.claim = best
        return best

    def _release(self, car: CarState) -> None:
        if car.claim is not None and self.claims.get(car.claim) is car:
            del self.claims[car.claim]
        car.claim = None

    def taken(self, car, f, d, passengers):
        q = self.queues[d][f]
        if car.claim == (f, d) or not q:
            owner = self.claims.pop((f, d), None)
            if owner is not None:
                owner.claim = None
        if q and car.room > 0:      # some wait for floors this car does not serve: call another car
            self._answer(f, d, self.dest[q[0]])

    def left_behind(self, car, f, d):
        self._answer(f, d)

    def removed(self, car):
        self._release(car)
        for d in (UP, DOWN):
            for f, q in enumerate(self.queues[d]):
                if q:
                    self._answer(f, d)


class NearestCar(GroupControl):
    """Nearest-car control: each landing call goes, when made, to the car with the best figure of
    suitability; only that car stops for it."""

    name = "nearest_car"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.assigned: dict[tuple[int, int], CarState] = {}

    def sees(self, car, f, d):
        return bool(self.queues[d][f]) and self.assigned.get((f, d)) is car

    def visible(self, car, d):
        out = [False] * self.n
        queues = self.queues[d]
        for (f, dd), owner in self.assigned.items():
            if owner is car and dd == d and queues[f]:
                out[f] = True
        return out

    def suitability(self, car: CarState, f: int, d: int) -> float:
        n = self.n - 1
        pos = car.floor if car.state != MOVING else car.origin
        dist = abs(pos - f)
        if car.state == IDLE or car.direction == 0:
            return n + 1 - dist
        towards = (f - pos) * car.direction > 0
        if towards and car.direction == d:
            return n + 2 - dist
        if towards:
            return n + 1 - dist
        return 1.0

    def _assign(self, f: int, d: int, exclude: CarState | None = None) -> None:
        best, best_fs = None, None
        for car in self.available():
            if not car.serves[f] or car is exclude:
                continue
            fs = self.suitability(car, f, d)
            if best_fs is None or fs > best_fs:
                best, best_fs = car, fs
        if best is None and exclude is not None and exclude.state != STOPPED and exclude.serves[f]:
            best = exclude
        if best is None:
            self.assigned.pop((f, d), None)
            return
        self.assigned[(f, d)] = best
        self.nudge(best, f)

    def call(self, p):
        f, d = self.origin[p], self.queue_direction(p)
        owner = self.assigned.get((f, d))
        if owner is None or owner.state == STOPPED:
            self._assign(f, d)

    def idle_target(self, car):
        best, best_dist = None, None
        for (f, d), owner in self.assigned.items():
            if owner is car and self.queues[d][f]:
                dist = abs(f - car.floor)
                if best_dist is None or dist < best_dist:
                    best, best_dist = (f, d), dist
        return best

    def taken(self, car, f, d, passengers):
        if not self.queues[d][f]:
            self.assigned.pop((f, d), None)
        elif car.room > 0:      # some wait for floors this car does not serve: another car's call
            self._assign(f, d, exclude=car)

    def left_behind(self, car, f, d):
        self._assign(f, d, exclude=car)

    def removed(self, car):
        for key, owner in list(self.assigned.items()):
            if owner is car:
                self._assign(*key, exclude=car)


class DestinationControl(GroupControl):
    """Destination control: each passenger is given a car when keying in the floor wanted — the car
    of lowest estimated cost — and only that car takes them."""

    name = "destination"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.car_of: dict[int, CarState] = {}                 # waiting passenger → car
        self.pickups: dict[CarState, dict[tuple[int, int], int]] = {c: {} for c in self.cars}

    def sees(self, car, f, d):
        return self.pickups[car].get((f, d), 0) > 0

    def visible(self, car, d):
        out = [False] * self.n
        for (f, dd), n in self.pickups[car].items():
            if dd == d and n > 0:
                out[f] = True
        return out

    def may_board(self, car, p):
        return self.car_of.get(p) is car

    def cost_s(self, car: CarState, p: int) -> float:
        """Estimated seconds until ``car`` picks ``p`` up — floors to travel at ``floor_s`` each, plus
        ``stop_s`` for each stop it has promised before — plus ``stop_s`` for each new stop p adds,
        weighted by the people it delays, and a heavy penalty for promising more than the car holds."""
        o, dest = self.origin[p], self.dest[p]
        d = UP if dest > o else DOWN
        pos = car.origin if car.state == MOVING else car.floor
        stops = {f for f, c in enumerate(car.calls) if c} | {f for (f, _), n in self.pickups[car].items() if n}
        if car.direction == 0 or ((o - pos) * car.direction >= 0 and d == car.direction):
            reach = abs(o - pos)
            before = sum(1 for f in stops if min(pos, o) < f < max(pos, o))
        else:
            far = max(stops, key=lambda f: (f - pos) * car.direction, default=pos)
            reach = abs(far - pos) + abs(far - o)
            before = len(stops)
        waiting = sum(self.pickups[car].values())
        new_stops = (o not in stops) + (dest not in stops)
        cost = reach * self.floor_s + self.stop_s * before + self.stop_s * new_stops * (1 + car.load + waiting) / 4
        if car.load + waiting >= car.capacity:
            cost += 10 * self.stop_s * (car.load + waiting + 1 - car.capacity)
        return cost

    def _assign(self, p: int, exclude: CarState | None = None) -> None:
        o = self.origin[p]
        d = self.queue_direction(p)
        options = [c for c in self.available() if c.serves[o] and c.serves[self.dest[p]] and c is not exclude]
        if not options and exclude is not None and exclude.state != STOPPED:
            options = [exclude]
        if not options:
            self.car_of.pop(p, None)
            return
        car = min(options, key=lambda c: self.cost_s(c, p))
        self.car_of[p] = car
        self.pickups[car][(o, d)] = self.pickups[car].get((o, d), 0) + 1
        self.nudge(car, o)

    def call(self, p):
        self._assign(p)

    def idle_target(self, car):
        best, best_dist = None, None
        for (f, d), n in self.pickups[car].items():
            if n:
                dist = abs(f - car.floor)
                if best_dist is None or dist < best_dist:
                    best, best_dist = (f, d), dist
        return best

    def taken(self, car, f, d, passengers):
        for p in passengers:
            del self.car_of[p]
        left = self.pickups[car].get((f, d), 0) - len(passengers)
        if left > 0:
            self.pickups[car][(f, d)] = left
        else:
            self.pickups[car].pop((f, d), None)

    def _unassign(self, car: CarState, f: int, d: int) -> list[int]:
        mine = [p for p in self.queues[d][f] if self.car_of.get(p) is car]
        for p in mine:
            del self.car_of[p]
        self.pickups[car].pop((f, d), None)
        return mine

    def left_behind(self, car, f, d):
        for p in self._unassign(car, f, d):
            self._assign(p, exclude=car)

    def removed(self, car):
        for f, d in list(self.pickups[car]):
            for p in self._unassign(car, f, d):
                self._assign(p, exclude=car)


DISPATCHERS: dict[str, type[GroupControl]] = {
    "collective": CollectiveControl, "nearest_car": NearestCar, "destination": DestinationControl}


def make_control(name: str, *args, **kwargs) -> GroupControl:
    """The group controller called ``name`` (one of :data:`DISPATCHERS`)."""
    try:
        cls = DISPATCHERS[name]
    except KeyError:
        raise ValueError(f"unknown dispatcher {name!r}; known: {', '.join(DISPATCHERS)}") from None
    return cls(*args, **kwargs)
