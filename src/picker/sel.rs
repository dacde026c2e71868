//! The selection as a Yew reducer: the pure [`Selection`] model behind `use_reducer`. Its own
//! file so that the hook (`state`) and the effects it wires (`checks`, `uploads`) all depend on
//! it without depending on each other.

use crate::model::selection::{Action, Selection};
use std::rc::Rc;
use yew::Reducible;

/// The selection, as the picker's reducer state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sel(pub(crate) Selection);

impl Reducible for Sel {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(Sel(self.0.clone().reduce(action)))
    }
}
