public enum _LabEnginePlaceholder {}
