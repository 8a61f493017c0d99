//! Syntax errors, exceptions and robot errors point at the right line.

use robosim::Outcome;

use crate::{program, run_task};

#[test]
fn syntax_error_reports_line_and_column() {
    let report = run_task(&program("syntax_error"));
    let Outcome::SyntaxError { line, column, message } = &report.outcome else { panic!("{report:#?}") };
    assert_eq!(*line, Some(3), "{message}");
    assert!(column.is_some_and(|c| c > 20), "{column:?}");
    assert!(report.trace.is_empty());
}

#[test]
fn exception_reports_the_innermost_program_line() {
    let report = run_task(&program("exception"));
    let Outcome::PythonError { exc_type, message, line, traceback } = &report.outcome else { panic!("{report:#?}") };
    assert_eq!(exc_type, "IndexError");
    assert_eq!(message, "list index out of range");
    assert_eq!(*line, Some(2));
    assert!(traceback.contains("line 8, in task_program"), "{traceback}");
    assert!(traceback.ends_with("IndexError: list index out of range"), "{traceback}");
    assert!(!traceback.contains("prelude"), "{traceback}");
}

#[test]
fn robot_error_reports_name_message_and_line() {
    let report = run_task(&program("robot_error"));
    let Outcome::RobotError { name, message, line, .. } = &report.outcome else { panic!("{report:#?}") };
    assert_eq!(name, "RobotPickError");
    assert_eq!(message, "Robot is already holding 'banana'");
    assert_eq!(*line, Some(4));
}
