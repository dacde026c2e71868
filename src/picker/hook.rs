//! The app's functions the picker calls, by name. The JS entry hands them over as one object
//! keyed by these names (its `splitPickerOptions`); naming them with an enum means a misspelt name
//! fails to compile instead of quietly calling nothing.

/// One of the app's functions (or, for [`Hook::Container`], the element it gave).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    /// `onClose`: the picker left the page.
    Close,
    /// `onCancel`: `cancel()` stopped everything.
    Cancel,
    /// `onUploadStarted`: the first file of a round began uploading.
    UploadStarted,
    /// `onFileUploadStarted`.
    FileUploadStarted,
    /// `onFileUploadProgress`.
    FileUploadProgress,
    /// `onFileUploadFinished`.
    FileUploadFinished,
    /// `onFileUploadFailed`.
    FileUploadFailed,
    /// `onFileUploadCancel`.
    FileUploadCancel,
    /// `onUploadDone`.
    UploadDone,
    /// The app's checks of a picked file (`acceptFn`, then `onFileSelected`), merged by the entry.
    Check,
    /// The per-file tag functions, merged by the entry.
    Tags,
    /// The entry's walk of a drop's folders.
    FilesFromDrop,
    /// The `container` element, when the app passed an element rather than a selector.
    Container,
    /// `dropPane.onDragEnter`.
    PaneDragEnter,
    /// `dropPane.onDragLeave`.
    PaneDragLeave,
    /// `dropPane.onDragOver`.
    PaneDragOver,
    /// `dropPane.onDrop`.
    PaneDrop,
    /// `dropPane.onSuccess`.
    PaneSuccess,
    /// `dropPane.onError`.
    PaneError,
    /// `dropPane.onProgress`.
    PaneProgress,
    /// `dropPane.onClick`.
    PaneClick,
}

impl Hook {
    /// The key the JS entry stores it under (the picker option's name; `dropPane.` for the drop
    /// pane's own callbacks).
    pub(crate) fn js_name(self) -> &'static str {
        match self {
            Hook::Close => "onClose",
            Hook::Cancel => "onCancel",
            Hook::UploadStarted => "onUploadStarted",
            Hook::FileUploadStarted => "onFileUploadStarted",
            Hook::FileUploadProgress => "onFileUploadProgress",
            Hook::FileUploadFinished => "onFileUploadFinished",
            Hook::FileUploadFailed => "onFileUploadFailed",
            Hook::FileUploadCancel => "onFileUploadCancel",
            Hook::UploadDone => "onUploadDone",
            Hook::Check => "check",
            Hook::Tags => "tags",
            Hook::FilesFromDrop => "filesFromDrop",
            Hook::Container => "container",
            Hook::PaneDragEnter => "dropPane.onDragEnter",
            Hook::PaneDragLeave => "dropPane.onDragLeave",
            Hook::PaneDragOver => "dropPane.onDragOver",
            Hook::PaneDrop => "dropPane.onDrop",
            Hook::PaneSuccess => "dropPane.onSuccess",
            Hook::PaneError => "dropPane.onError",
            Hook::PaneProgress => "dropPane.onProgress",
            Hook::PaneClick => "dropPane.onClick",
        }
    }
}
