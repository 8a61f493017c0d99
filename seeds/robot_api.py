# The robot API as prompts show it to a model: eight functions, nothing else.
# Programs define `task_program()`; the robot runs it from its starting location.


def get_current_location() -> str:
    """Returns the name of the location the robot is in."""


def get_all_rooms() -> list[str]:
    """Returns the names of all the rooms in the building."""


def is_in_room(object: str) -> bool:
    """Returns whether the object or person is in the robot's current room."""


def go_to(location: str) -> None:
    """Moves the robot to the named location, e.g. go_to("kitchen") or go_to("Arjun's office")."""


def ask(person: str, question: str, options: list[str]) -> str:
    """Asks the person in the current room a question, offering these options; returns the
    option they choose."""


def say(message: str) -> None:
    """Says the message out loud."""


def pick(obj: str) -> None:
    """Picks up the object from the current room. The robot holds one object at a time."""


def place(obj: str) -> None:
    """Puts the object the robot is holding down in the current room."""
