//! [`OpenWorld`]: a permissive world where everything exists. It checks argument types as
//! the spec does and answers every question the same way; it is what `robosim run` uses to
//! show a program's trace without exploring alternatives.

use robosim_protocol::Value;

use crate::{INITIAL_ROOMS, RobotError, RobotErrorKind, START_LOCATION, World, error::string_arg};

/// Everything exists everywhere; `ask` returns the first option; the robot holds one thing.
#[derive(Debug, Clone)]
pub struct OpenWorld {
    location: String,
    holding: Option<String>,
}

impl Default for OpenWorld {
    fn default() -> Self {
        Self { location: START_LOCATION.to_owned(), holding: None }
    }
}

impl World for OpenWorld {
    fn get_current_location(&mut self) -> Result<String, RobotError> {
        Ok(self.location.clone())
    }

    fn get_all_rooms(&mut self) -> Result<Vec<String>, RobotError> {
        Ok(INITIAL_ROOMS.iter().map(|r| (*r).to_owned()).collect())
    }

    fn is_in_room(&mut self, object: &Value) -> Result<bool, RobotError> {
        string_arg(object, RobotErrorKind::RobotIsInRoomError, "entity")?;
        Ok(true)
    }

    fn go_to(&mut self, location: &Value) -> Result<(), RobotError> {
        self.location = string_arg(location, RobotErrorKind::RobotGoToError, "location")?.to_owned();
        Ok(())
    }

    fn ask(&mut self, person: &Value, question: &Value, options: &Value) -> Result<String, RobotError> {
        let kind = RobotErrorKind::RobotAskError;
        if person.as_str().is_none() {
            return Err(RobotError::new(kind, "person must be a string"));
        }
        string_arg(question, kind, "question")?;
        let Value::List(options) = options else {
            return Err(RobotError::new(kind, "options must be a list"));
        };
        let first = options.first().ok_or_else(|| RobotError::new(kind, "no option provided"))?;
        first
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| RobotError::new(kind, format!("option {} is not a string", first.repr())))
    }

    fn say(&mut self, message: &Value) -> Result<(), RobotError> {
        message
            .as_str()
            .map(|_| ())
            .ok_or_else(|| RobotError::new(RobotErrorKind::RobotSayError, "message must be a string"))
    }

    fn pick(&mut self, obj: &Value) -> Result<(), RobotError> {
        let obj = string_arg(obj, RobotErrorKind::RobotPickError, "obj")?;
        if self.holding.is_some() {
            return Err(RobotError::new(RobotErrorKind::RobotPickError, format!("Robot is already holding '{obj}'")));
        }
        self.holding = Some(obj.to_owned());
        Ok(())
    }

    fn place(&mut self, obj: &Value) -> Result<(), RobotError> {
        let obj = string_arg(obj, RobotErrorKind::RobotPlaceError, "obj")?;
        match self.holding.take() {
            Some(held) if held.eq_ignore_ascii_case(obj) => Ok(()),
            Some(held) => {
                let message = format!("Robot is currently holding '{held}' but it is not '{obj}'");
                self.holding = Some(held);
                Err(RobotError::new(RobotErrorKind::RobotPlaceError, message))
            }
            None => {
                Err(RobotError::new(RobotErrorKind::RobotPlaceError, format!("Robot is not currently holding '{obj}'")))
            }
        }
    }
}
